package integration

import (
	"cmp"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// exampleAtProvider is the example from the reference, extended with every
// JSON type an output can have.
const exampleAtProvider = `{
  "checksum": "fff6ccdeaf6c49ea185e47e6cf18dc47",
  "outputs": {
    "cluster_endpoint": "https://ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com",
    "cluster_name": "demo-cluster",
    "node_count": 3,
    "ratio": 0.75,
    "private": false,
    "subnets": ["subnet-1", "subnet-2"],
    "tags": {"env": "dev", "nested": {"deep": [1, {"x": true}]}},
    "nothing": null
  }
}`

func TestCRDsEstablishedAndLabeled(t *testing.T) {
	g := NewWithT(t)
	capt := []string{
		"captcontrolplanes.controlplane.cluster.x-k8s.io",
		"captcontrolplanetemplates.controlplane.cluster.x-k8s.io",
		"workspacetemplates.infrastructure.cluster.x-k8s.io",
		"workspacetemplateapplies.infrastructure.cluster.x-k8s.io",
	}
	for _, name := range append(capt, "workspaces.tf.upbound.io") {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		g.Expect(env.Client.Get(t.Context(), client.ObjectKey{Name: name}, crd)).To(Succeed())
		established := false
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				established = true
			}
		}
		g.Expect(established).To(BeTrue(), "%s is not Established", name)
	}
	for _, name := range capt {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		g.Expect(env.Client.Get(t.Context(), client.ObjectKey{Name: name}, crd)).To(Succeed())
		g.Expect(crd.Labels).To(HaveKeyWithValue("cluster.x-k8s.io/provider", "control-plane-capt"), name)
		g.Expect(crd.Labels).To(HaveKeyWithValue("cluster.x-k8s.io/v1beta1", "v1beta1"), name)
	}
}

// TestClusterctlContractMatchesTheCRD: clusterctl's metadata.yaml declares,
// for the current release series, the newest Cluster API contract the
// control plane's CRD says it implements (its cluster.x-k8s.io/<contract>
// labels): one truth for clusterctl and for Cluster API's controllers.
func TestClusterctlContractMatchesTheCRD(t *testing.T) {
	g := NewWithT(t)
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "metadata.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	type releaseSeries struct {
		Major, Minor int
		Contract     string
	}
	var metadata struct {
		ReleaseSeries []releaseSeries `json:"releaseSeries"`
	}
	g.Expect(yaml.Unmarshal(raw, &metadata)).To(Succeed())
	g.Expect(metadata.ReleaseSeries).NotTo(BeEmpty())
	current := slices.MaxFunc(metadata.ReleaseSeries, func(a, b releaseSeries) int {
		return cmp.Or(cmp.Compare(a.Major, b.Major), cmp.Compare(a.Minor, b.Minor))
	})

	crd := &apiextensionsv1.CustomResourceDefinition{}
	g.Expect(env.Client.Get(t.Context(), client.ObjectKey{Name: "captcontrolplanes.controlplane.cluster.x-k8s.io"}, crd)).To(Succeed())
	var contracts []string
	for label := range crd.Labels {
		if contract, ok := strings.CutPrefix(label, "cluster.x-k8s.io/v1"); ok {
			contracts = append(contracts, "v1"+contract)
		}
	}
	g.Expect(contracts).NotTo(BeEmpty())
	slices.Sort(contracts) // v1beta1 < v1beta2
	g.Expect(current.Contract).To(Equal(contracts[len(contracts)-1]),
		"metadata.yaml's contract for %d.%d against the CRD's labels %v", current.Major, current.Minor, contracts)
}

func TestKubectlExplainWorkspaceStatus(t *testing.T) {
	g := NewWithT(t)
	kubeconfig, err := env.KubeconfigFile(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	// The API server publishes a new CRD's OpenAPI a moment after it is
	// Established.
	var out []byte
	g.Eventually(func() error {
		out, err = exec.Command(testenv.Kubectl(), "--kubeconfig", kubeconfig,
			"explain", "captcontrolplane.status.workspaceStatus").CombinedOutput()
		return err
	}, "30s", "500ms").Should(Succeed(), func() string { return string(out) })
	g.Expect(string(out)).To(ContainSubstring("WorkspaceStatus mirrors the Terraform Workspace"))
	g.Expect(string(out)).To(ContainSubstring("atProvider"))
	g.Expect(string(out)).To(ContainSubstring("verbatim copy of the Workspace's status.atProvider"))
	g.Expect(string(out)).To(ContainSubstring("Ready is true when the Workspace's Ready condition is True"))
}

// readSample decodes the control plane sample into an unstructured object.
func readSample(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "controlplane_v1beta1_captcontrolplane.yaml"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{}
	NewWithT(t).Expect(yaml.Unmarshal(raw, &u.Object)).To(Succeed())
	u.SetName(name)
	return u
}

func TestSampleAcceptedUnchanged(t *testing.T) {
	g := NewWithT(t)
	sample := readSample(t, "sample-accepted")
	wantSpec := sample.Object["spec"]
	g.Expect(env.Client.Create(t.Context(), sample.DeepCopy())).To(Succeed())

	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(sample.GroupVersionKind())
	g.Expect(env.Client.Get(t.Context(), client.ObjectKeyFromObject(sample), got)).To(Succeed())
	g.Expect(testenv.JSONEqual(got.Object["spec"], wantSpec)).To(BeTrue(),
		"spec changed on the way in:\n got %v\nwant %v", got.Object["spec"], wantSpec)
}

func TestInvalidInputRejectedNamingTheField(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(u *unstructured.Unstructured)
		field  string
	}{
		{"region outside the pattern", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "Tokyo", "spec", "controlPlaneConfig", "region")
		}, "spec.controlPlaneConfig.region"},
		{"missing workspaceTemplateRef", func(u *unstructured.Unstructured) {
			unstructured.RemoveNestedField(u.Object, "spec", "workspaceTemplateRef")
		}, "spec.workspaceTemplateRef"},
		{"missing version", func(u *unstructured.Unstructured) {
			unstructured.RemoveNestedField(u.Object, "spec", "version")
		}, "spec.version"},
		{"timeout below one minute", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, int64(0), "spec", "controlPlaneConfig", "timeouts", "controlPlaneTimeout")
		}, "spec.controlPlaneConfig.timeouts.controlPlaneTimeout"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			u := readSample(t, "invalid-"+string(rune('a'+i)))
			tc.mutate(u)
			err := env.Client.Create(t.Context(), u)
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
			g.Expect(err.Error()).To(ContainSubstring(tc.field))
		})
	}

	t.Run("phase outside the enum", func(t *testing.T) {
		g := NewWithT(t)
		cp := createControlPlane(t, "invalid-phase")
		err := env.Client.Status().Apply(t.Context(),
			cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(cpac.CAPTControlPlaneStatus().WithPhase("Running")),
			client.FieldOwner("capt-controlplane"), client.ForceOwnership)
		g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
		g.Expect(err.Error()).To(ContainSubstring("status.phase"))
	})
}

// createControlPlane creates a control plane from the sample, under the field
// manager "test-creator".
func createControlPlane(t *testing.T, name string) *controlplanev1beta1.CAPTControlPlane {
	t.Helper()
	u := readSample(t, name)
	raw, err := json.Marshal(u.Object)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	cp := &controlplanev1beta1.CAPTControlPlane{}
	NewWithT(t).Expect(json.Unmarshal(raw, cp)).To(Succeed())
	NewWithT(t).Expect(env.Client.Create(t.Context(), cp, client.FieldOwner("test-creator"))).To(Succeed())
	return cp
}

func TestExampleStatusRoundTripsVerbatim(t *testing.T) {
	g := NewWithT(t)
	cp := createControlPlane(t, "roundtrip")
	ws := cpac.WorkspaceStatus().WithReady(true).WithState("Available").
		WithAtProvider(runtime.RawExtension{Raw: []byte(exampleAtProvider)})
	g.Expect(env.Client.Status().Apply(t.Context(),
		cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(ws)),
		client.FieldOwner("capt-workspace-status"), client.ForceOwnership)).To(Succeed())

	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(controlplanev1beta1.GroupVersion.WithKind("CAPTControlPlane"))
	g.Expect(env.Client.Get(t.Context(), client.ObjectKeyFromObject(cp), got)).To(Succeed())
	atProvider, found, err := unstructured.NestedFieldNoCopy(got.Object, "status", "workspaceStatus", "atProvider")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(found).To(BeTrue())
	g.Expect(testenv.JSONEqual(atProvider, testenv.MustJSON(exampleAtProvider))).To(BeTrue(),
		"atProvider changed on the way:\n got %v", atProvider)
	ready, _, _ := unstructured.NestedBool(got.Object, "status", "workspaceStatus", "ready")
	g.Expect(ready).To(BeTrue())
}

// TestStatusOwnershipPerManager applies status under the two managers of
// docs/design.md and asserts each one's fieldsV1 exactly. atProvider is atomic:
// one leaf in managedFields however many outputs it holds, and another
// manager cannot change or extend it without force.
func TestStatusOwnershipPerManager(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	cp := createControlPlane(t, "two-managers")
	key := client.ObjectKeyFromObject(cp)

	g.Expect(env.Client.Status().Apply(ctx, cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(
		cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(cpac.WorkspaceStatus().WithReady(true).WithState("Available").
			WithAtProvider(runtime.RawExtension{Raw: []byte(exampleAtProvider)}))),
		client.FieldOwner("capt-workspace-status"), client.ForceOwnership)).To(Succeed())
	g.Expect(env.Client.Status().Apply(ctx, cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(
		cpac.CAPTControlPlaneStatus().WithReady(false).WithInitialized(false).WithPhase(controlplanev1beta1.PhaseCreating).
			WithConditions(metav1ac.Condition().WithType("Ready").WithStatus(metav1.ConditionFalse).
				WithReason("Creating").WithMessage("waiting for the workspace").WithLastTransitionTime(metav1.Now()))),
		client.FieldOwner("capt-controlplane"), client.ForceOwnership)).To(Succeed())

	got := &controlplanev1beta1.CAPTControlPlane{}
	g.Expect(env.Client.Get(ctx, key, got)).To(Succeed())
	g.Expect(got.ManagedFields).To(HaveLen(3))
	creator := testenv.SummarizeManager(got, "test-creator")
	g.Expect(creator).To(HaveLen(1))
	g.Expect(creator[0].Subresource).To(BeEmpty())
	g.Expect(creator[0].FieldsV1).NotTo(HaveKey("f:status"))
	g.Expect(testenv.SummarizeManager(got, "capt-workspace-status")).To(Equal([]testenv.Entry{
		{Manager: "capt-workspace-status", Operation: metav1.ManagedFieldsOperationApply, Subresource: "status",
			FieldsV1: testenv.MustJSON(`{"f:status":{"f:workspaceStatus":{"f:atProvider":{},"f:ready":{},"f:state":{}}}}`)},
	}))
	g.Expect(testenv.SummarizeManager(got, "capt-controlplane")).To(Equal([]testenv.Entry{
		{Manager: "capt-controlplane", Operation: metav1.ManagedFieldsOperationApply, Subresource: "status",
			FieldsV1: testenv.MustJSON(`{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}}},"f:initialized":{},"f:phase":{},"f:ready":{}}}`)},
	}))

	// Another manager adding one key under the atomic atProvider conflicts
	// with the owner instead of merging into it.
	other := cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(
		cpac.WorkspaceStatus().WithAtProvider(runtime.RawExtension{Raw: []byte(`{"outputs":{"extra":"x"}}`)})))
	err := env.Client.Status().Apply(ctx, other, client.FieldOwner("someone-else"))
	g.Expect(apierrors.IsConflict(err)).To(BeTrue(), "want Conflict, got %v", err)
	g.Expect(err.Error()).To(ContainSubstring(`conflict with "capt-workspace-status"`))
	g.Expect(err.Error()).To(ContainSubstring(".status.workspaceStatus.atProvider"))
	g.Expect(strings.Count(err.Error(), "conflict with")).To(Equal(1))
}

// TestNamesThatCannotBeLabelsAreRejected: every name the manager derives
// from a control plane or an apply becomes a label value (at most 63
// characters) on the objects it renders; a name that could not is refused
// at creation with a message naming the limit, not later in a log line.
func TestNamesThatCannotBeLabelsAreRejected(t *testing.T) {
	name := func(n int) string { return "n" + strings.Repeat("a", n-1) }
	for _, tc := range []struct {
		what   string
		mutate func(u *unstructured.Unstructured)
		says   string // empty: accepted
	}{
		{"a 40-character name", func(u *unstructured.Unstructured) { u.SetName(name(40)) }, ""},
		{"a 41-character name (its apply's name is hashed to fit)", func(u *unstructured.Unstructured) { u.SetName(name(41)) }, ""},
		{"a 63-character name (its apply's name is hashed to fit)", func(u *unstructured.Unstructured) { u.SetName(name(63)) }, ""},
		{"a 63-character name with its own apply name", func(u *unstructured.Unstructured) {
			u.SetName(name(63))
			_ = unstructured.SetNestedField(u.Object, "short-apply", "spec", "workspaceTemplateApplyName")
		}, ""},
		{"a 64-character name", func(u *unstructured.Unstructured) {
			u.SetName(name(64))
			_ = unstructured.SetNestedField(u.Object, "short-apply", "spec", "workspaceTemplateApplyName")
		}, "at most 63 characters"},
		{"a 64-character apply name", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, name(64), "spec", "workspaceTemplateApplyName")
		}, "spec.workspaceTemplateApplyName"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			g := NewWithT(t)
			u := readSample(t, "names")
			tc.mutate(u)
			err := env.Client.Create(t.Context(), u)
			if tc.says == "" {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(env.Client.Delete(t.Context(), u)).To(Succeed())
				return
			}
			g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
			g.Expect(err.Error()).To(ContainSubstring(tc.says))
		})
	}

	t.Run("a 64-character WorkspaceTemplateApply", func(t *testing.T) {
		g := NewWithT(t)
		apply := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "WorkspaceTemplateApply",
			"metadata": map[string]any{"name": name(64), "namespace": "default"},
			"spec":     map[string]any{"templateRef": map[string]any{"name": "eks"}},
		}}
		err := env.Client.Create(t.Context(), apply)
		g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
		g.Expect(err.Error()).To(ContainSubstring("at most 63 characters"))
		apply.SetName(name(63))
		g.Expect(env.Client.Create(t.Context(), apply)).To(Succeed())
		g.Expect(env.Client.Delete(t.Context(), apply)).To(Succeed())
	})
}
