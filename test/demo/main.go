// Command demo runs the project's main job on a local control plane built
// from source (bin/k8s): it starts kube-apiserver and etcd, installs the
// CRDs with kubectl, runs bin/manager, creates the sample control plane,
// plays provider-terraform for its Workspace, shows who owns which field,
// wipes status.workspaceStatus with a stale full status update and shows the
// controller repair it. The control plane stays up until Ctrl-C or
// `make demo-down`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

type options struct {
	assets  string
	dir     string
	manager string
	once    bool
	down    bool
}

func main() {
	var o options
	flag.StringVar(&o.assets, "assets", "bin/k8s", "Folder with kube-apiserver, etcd and kubectl.")
	flag.StringVar(&o.dir, "dir", ".demo", "Folder for the kubeconfig, logs and pid file.")
	flag.StringVar(&o.manager, "manager", "bin/manager", "The manager binary to run.")
	flag.BoolVar(&o.once, "once", false, "Stop everything after the walk-through instead of waiting for Ctrl-C.")
	flag.BoolVar(&o.down, "down", false, "Stop a running demo.")
	flag.Parse()

	var err error
	if o.down {
		err = stopRunning(o.dir)
	} else {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	for _, p := range []*string{&o.assets, &o.dir, &o.manager} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.dir, "demo.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	defer func() { _ = os.Remove(filepath.Join(o.dir, "demo.pid")) }()

	step("Starting kube-apiserver and etcd from " + o.assets)
	env := &envtest.Environment{BinaryAssetsDirectory: o.assets}
	if _, err := env.Start(); err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return err
	}
	d := &demo{
		kubectl:    filepath.Join(o.assets, "kubectl"),
		plugin:     filepath.Join(filepath.Dir(o.manager), "kubectl-capt"),
		kubeconfig: filepath.Join(o.dir, "kubeconfig"),
	}
	if err := os.WriteFile(d.kubeconfig, kc, 0o600); err != nil {
		return err
	}
	fmt.Printf("  export KUBECONFIG=%s\n", d.kubeconfig)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := d.walkThrough(ctx, o); err != nil {
		return err
	}
	if o.once {
		return nil
	}
	step("The control plane keeps running. Try:")
	fmt.Printf("  export KUBECONFIG=%s\n", d.kubeconfig)
	fmt.Printf("  %s get captcontrolplane demo-cluster -o yaml --show-managed-fields\n", d.kubectl)
	fmt.Printf("  %s owners captcontrolplane demo-cluster\n", d.plugin)
	fmt.Println("Ctrl-C or `make demo-down` stops it.")
	<-ctx.Done()
	return nil
}

// stopRunning signals the demo whose pid file is in dir.
func stopRunning(dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, "demo.pid"))
	if errors.Is(err, os.ErrNotExist) {
		fmt.Println("no demo is running")
		return nil
	}
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return fmt.Errorf("bad pid file: %w", err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	fmt.Println("stopped the demo, pid", pid)
	return nil
}

type demo struct {
	kubectl    string
	plugin     string // kubectl-capt
	kubeconfig string
}

func step(title string) { fmt.Printf("\n==> %s\n", title) }

// run runs kubectl, echoing the command and its output.
func (d *demo) run(stdin []byte, args ...string) error {
	fmt.Printf("$ kubectl %s\n", strings.Join(args, " "))
	cmd := exec.Command(d.kubectl, append([]string{"--kubeconfig", d.kubeconfig}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	fmt.Print(indent(string(out)))
	if err != nil {
		return fmt.Errorf("kubectl %s: %w", args[0], err)
	}
	return nil
}

// quiet runs kubectl without echo and returns its standard output.
func (d *demo) quiet(stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command(d.kubectl, append([]string{"--kubeconfig", d.kubeconfig}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}

func (d *demo) walkThrough(ctx context.Context, o options) error {
	step("Installing the provider with kubectl apply -k config/default, and provider-terraform's CRDs")
	if err := d.run(nil, "apply", "-k", "config/default"); err != nil {
		return err
	}
	// On a real cluster Crossplane installs provider-terraform's CRDs.
	if err := d.run(nil, "apply", "-f", testenv.ProviderTerraformCRDs(testenv.ProviderTerraformGeneration())); err != nil {
		return err
	}
	if err := d.run(nil, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"); err != nil {
		return err
	}

	step("Running the manager out of cluster, as its ServiceAccount (" + testenv.ManagerServiceAccount + ")")
	admin, err := os.ReadFile(d.kubeconfig)
	if err != nil {
		return err
	}
	saConfig, err := testenv.ImpersonatingKubeconfig(admin)
	if err != nil {
		return err
	}
	saKubeconfig := filepath.Join(o.dir, "manager.kubeconfig")
	if err := os.WriteFile(saKubeconfig, saConfig, 0o600); err != nil {
		return err
	}
	logPath := filepath.Join(o.dir, "manager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	mgr := exec.CommandContext(ctx, o.manager, "--kubeconfig", saKubeconfig,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0")
	mgr.Stdout, mgr.Stderr = logFile, logFile
	if err := mgr.Start(); err != nil {
		return fmt.Errorf("starting %s (run `make build`): %w", o.manager, err)
	}
	defer func() { _ = mgr.Process.Signal(syscall.SIGTERM); _ = mgr.Wait() }()
	fmt.Printf("  %s (log: %s)\n", o.manager, logPath)

	step("Granting the sample's provider configuration to namespace default, then creating the sample WorkspaceTemplate and CAPTControlPlane")
	for _, f := range []string{"config/samples/infrastructure_v1beta1_providerconfiggrant.yaml", "config/samples/infrastructure_v1beta1_workspacetemplate.yaml", "config/samples/controlplane_v1beta1_captcontrolplane.yaml"} {
		if err := d.run(nil, "apply", "-f", f); err != nil {
			return err
		}
	}

	step("The controllers rendered the Workspace; playing provider-terraform for it")
	if err := d.playProvider(ctx); err != nil {
		return err
	}
	if err := d.waitMirror(ctx, "fff6ccdeaf6c49ea185e47e6cf18dc47"); err != nil {
		return err
	}
	if err := d.run(nil, "get", "captcontrolplane", "demo-cluster"); err != nil {
		return err
	}
	if err := d.run(nil, "get", "captcontrolplane", "demo-cluster", "-o", "jsonpath={.status.workspaceStatus}"); err != nil {
		return err
	}
	fmt.Println()

	step("Who owns which field (kubectl capt owners; the reference is kubectl get -o yaml --show-managed-fields)")
	if err := d.showOwners(); err != nil {
		return err
	}

	step("A stale writer sends a full status without workspaceStatus (kubectl replace --subresource=status)")
	raw, err := d.quiet(nil, "get", "captcontrolplane", "demo-cluster", "-o", "json")
	if err != nil {
		return err
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return err
	}
	delete(obj["status"].(map[string]any), "workspaceStatus")
	stale, _ := json.Marshal(obj)
	if err := d.run(stale, "replace", "--subresource=status", "--field-manager=stale-writer", "-f", "-"); err != nil {
		return err
	}

	step("The controller saw it on the watch and restored the mirror")
	if err := d.waitMirror(ctx, "fff6ccdeaf6c49ea185e47e6cf18dc47"); err != nil {
		return err
	}
	if err := d.run(nil, "get", "captcontrolplane", "demo-cluster", "-o", "jsonpath={.status.workspaceStatus.atProvider.outputs.cluster_endpoint}"); err != nil {
		return err
	}
	fmt.Println()
	if err := d.run(nil, "get", "events.events.k8s.io", "--field-selector", "reason=WorkspaceStatusRestored",
		"-o", "custom-columns=REGARDING:.regarding.name,REASON:.reason,NOTE:.note"); err != nil {
		return err
	}
	return d.showOwners()
}

// playProvider does what provider-terraform would once Terraform has run:
// it writes the rendered Workspace's status, with a Ready condition and
// outputs, by a plain status update.
func (d *demo) playProvider(ctx context.Context) error {
	const name = "demo-cluster-eks-controlplane"
	var raw []byte
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		if raw, err = d.quiet(nil, "get", testenv.DefaultWorkspaceResource(), name, "-o", "json"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no Workspace %s after 60s: %w", name, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := d.run(nil, "get", "workspacetemplateapply,"+testenv.DefaultWorkspaceResource()); err != nil {
		return err
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return err
	}
	now := time.Now().UTC().Format(time.RFC3339)
	obj["status"] = map[string]any{
		"atProvider": map[string]any{
			"checksum": "fff6ccdeaf6c49ea185e47e6cf18dc47",
			"outputs": map[string]any{
				"cluster_endpoint": "https://0123456789ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com",
				"cluster_name":     "demo-cluster",
				"node_count":       3,
				"subnet_ids":       []any{"subnet-0a", "subnet-0b"},
			},
		},
		"conditions": []any{
			map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": now},
			map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": now},
		},
	}
	body, _ := json.Marshal(obj)
	return d.run(body, "replace", "--subresource=status", "--field-manager=provider-terraform", "-f", "-")
}

func (d *demo) waitMirror(ctx context.Context, checksum string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := d.quiet(nil, "get", "captcontrolplane", "demo-cluster", "-o", "jsonpath={.status.workspaceStatus.atProvider.checksum}")
		if err == nil && string(out) == checksum {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("the mirror did not converge in 30s; see the manager log")
}

func (d *demo) showOwners() error {
	fmt.Println("$ kubectl capt owners captcontrolplane demo-cluster --depth 3")
	out, err := exec.Command(d.plugin, "owners", "captcontrolplane", "demo-cluster", "-n", "default", "--depth", "3", "--kubeconfig", d.kubeconfig).CombinedOutput()
	fmt.Print(indent(string(out)))
	return err
}
