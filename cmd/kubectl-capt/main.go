// Command kubectl-capt is a kubectl plugin. Its owners command prints who
// owns which field of an object, read from managedFields:
//
//	kubectl capt owners captcontrolplane demo-cluster [-n default]
//
// Its templates command rewrites upstream CAPT's saved
// CaptControlPlaneTemplates as CAPTControlPlaneTemplates (docs/upgrade.md).
//
// `kubectl get -o yaml --show-managed-fields` stays the reference; this is
// the same information as one row per owned field.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
)

const usage = `usage: kubectl capt owners TYPE NAME [-n NAMESPACE] [--depth N] [--kubeconfig FILE]

Prints one row per field an entry of metadata.managedFields owns:
PATH, MANAGER, OPERATION, SUBRESOURCE, TIME, and EXPECTED: the manager
capt-controlplane's ownership table gives the field ("-": none of ours).
--depth N cuts paths to N elements (.status.workspaceStatus.atProvider
has 3)`

var errUsage = errors.New(usage)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kubectl capt:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 1 && args[0] == "templates" {
		return upstream.Templates(os.Stdin, out)
	}
	if len(args) == 0 || args[0] != "owners" {
		return fmt.Errorf("%w\n\n%s", errUsage, templatesUsage)
	}
	fs := flag.NewFlagSet("owners", flag.ContinueOnError)
	namespace := fs.String("n", "", "namespace (default: the kubeconfig's)")
	fs.StringVar(namespace, "namespace", "", "namespace (default: the kubeconfig's)")
	depth := fs.Int("depth", 0, "cut paths to this many elements (0: whole paths)")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	var positional []string
	rest := args[1:]
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		rest = fs.Args()
		if len(rest) > 0 {
			positional = append(positional, rest[0])
			rest = rest[1:]
		}
	}
	if len(positional) != 2 {
		return errUsage
	}

	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = *kubeconfig
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := loader.ClientConfig()
	if err != nil {
		return err
	}
	if *namespace == "" {
		if *namespace, _, err = loader.Namespace(); err != nil {
			return err
		}
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	gvr, err := mapper.ResourceFor(schema.ParseGroupResource(positional[0]).WithVersion(""))
	if err != nil {
		return fmt.Errorf("unknown type %q: %w", positional[0], err)
	}
	gvk, err := mapper.KindFor(gvr)
	if err != nil {
		return err
	}
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	var obj *unstructured.Unstructured
	key := types.NamespacedName{Namespace: *namespace, Name: positional[1]}
	if mapping.Scope.Name() == "namespace" {
		obj, err = client.Resource(mapping.Resource).Namespace(key.Namespace).Get(context.Background(), key.Name, metav1.GetOptions{})
	} else {
		obj, err = client.Resource(mapping.Resource).Get(context.Background(), key.Name, metav1.GetOptions{})
	}
	if err != nil {
		return err
	}
	rows, err := ownerRows(obj.GetKind(), obj.GetName(), obj.GetManagedFields(), *depth)
	if err != nil {
		return err
	}
	return printRows(out, rows)
}
