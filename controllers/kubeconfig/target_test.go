package kubeconfig

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
)

var ca = []byte("-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n")

// controlPlane is a ready control plane of Cluster c1 whose mirror holds
// outputs.
func controlPlane(outputs map[string]any) *controlplanev1beta1.CAPTControlPlane {
	raw, _ := json.Marshal(map[string]any{"outputs": outputs})
	return &controlplanev1beta1.CAPTControlPlane{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cp", UID: "cp-uid", OwnerReferences: []metav1.OwnerReference{{
			APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: "c1", UID: "c1-uid",
		}}},
		Spec: controlplanev1beta1.CAPTControlPlaneSpec{
			ControlPlaneEndpoint: controlplanev1beta1.APIEndpoint{Host: "c1.example.com", Port: 443},
			ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"},
		},
		Status: controlplanev1beta1.CAPTControlPlaneStatus{WorkspaceStatus: &controlplanev1beta1.WorkspaceStatus{
			AtProvider: &runtime.RawExtension{Raw: raw},
		}},
	}
}

func withCA() map[string]any {
	return map[string]any{kubeconfigs.OutputCA: base64.StdEncoding.EncodeToString(ca), kubeconfigs.OutputName: "eks-c1"}
}

func TestTargetOf(t *testing.T) {
	for _, c := range []struct {
		name       string
		cp         *controlplanev1beta1.CAPTControlPlane
		connection map[string][]byte
		wantOK     bool
		want       kubeconfigs.Cluster
	}{
		{"everything in the mirror", controlPlane(withCA()), nil, true,
			kubeconfigs.Cluster{Name: "c1", EKSName: "eks-c1", Server: "https://c1.example.com:443", Region: "ap-northeast-1", CA: ca}},
		{"a sensitive CA, not read", controlPlane(map[string]any{}), nil, false,
			kubeconfigs.Cluster{Name: "c1", EKSName: "c1", Server: "https://c1.example.com:443", Region: "ap-northeast-1"}},
		{"a sensitive CA from the connection Secret", controlPlane(map[string]any{}), map[string][]byte{kubeconfigs.OutputCA: []byte(base64.StdEncoding.EncodeToString(ca))}, true,
			kubeconfigs.Cluster{Name: "c1", EKSName: "c1", Server: "https://c1.example.com:443", Region: "ap-northeast-1", CA: ca}},
		{"no owner Cluster", func() *controlplanev1beta1.CAPTControlPlane {
			cp := controlPlane(withCA())
			cp.OwnerReferences = nil
			return cp
		}(), nil, false, kubeconfigs.Cluster{}},
		{"no endpoint yet", func() *controlplanev1beta1.CAPTControlPlane {
			cp := controlPlane(withCA())
			cp.Spec.ControlPlaneEndpoint = controlplanev1beta1.APIEndpoint{}
			return cp
		}(), nil, false, kubeconfigs.Cluster{}},
		{"no mirror yet", func() *controlplanev1beta1.CAPTControlPlane {
			cp := controlPlane(withCA())
			cp.Status.WorkspaceStatus = nil
			return cp
		}(), nil, false, kubeconfigs.Cluster{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := targetOf(c.cp, c.connection)
			if ok != c.wantOK || got.Name != c.want.Name || got.EKSName != c.want.EKSName || got.Server != c.want.Server ||
				got.Region != c.want.Region || string(got.CA) != string(c.want.CA) {
				t.Fatalf("targetOf = %+v, %v; want %+v, %v", got, ok, c.want, c.wantOK)
			}
		})
	}
}

// secretFor is the Secret the controller writes for target, expiring at
// expires.
func secretFor(t *testing.T, cp *controlplanev1beta1.CAPTControlPlane, target kubeconfigs.Cluster, expires time.Time) *corev1.Secret {
	t.Helper()
	data, err := kubeconfigs.Token(target, "token")
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: cp.Namespace, Name: SecretName(target.Name),
			Annotations:     map[string]string{AnnotationTokenExpires: expires.Format(time.RFC3339)},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: controlplanev1beta1.GroupVersion.String(), Kind: "CAPTControlPlane", Name: cp.Name, UID: cp.UID, Controller: ptr.To(true)}},
		},
		Data: map[string][]byte{dataKey: data},
	}
}

func TestStillValid(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	cp := controlPlane(withCA())
	target, _ := targetOf(cp, nil)
	good := now.Add(10 * time.Minute)
	moved := target
	moved.Server = "https://elsewhere.example.com:443"
	for _, c := range []struct {
		name    string
		current *corev1.Secret
		target  kubeconfigs.Cluster
		want    bool
	}{
		{"ours, same target, good for 10 minutes", secretFor(t, cp, target, good), target, true},
		{"none", nil, target, false},
		{"due for renewal", secretFor(t, cp, target, now.Add(RenewBefore)), target, false},
		{"expiry unreadable", func() *corev1.Secret {
			s := secretFor(t, cp, target, good)
			s.Annotations[AnnotationTokenExpires] = "soon"
			return s
		}(), target, false},
		{"another target", secretFor(t, cp, target, good), moved, false},
		{"not ours", func() *corev1.Secret {
			s := secretFor(t, cp, target, good)
			s.OwnerReferences = nil
			return s
		}(), target, false},
		{"edited by someone", func() *corev1.Secret {
			s := secretFor(t, cp, target, good)
			s.Data[dataKey] = append(s.Data[dataKey], []byte("# edited\n")...)
			return s
		}(), target, false},
	} {
		if _, got := stillValid(c.current, cp, c.target, now); got != c.want {
			t.Errorf("%s: still valid %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCAOf(t *testing.T) {
	cp := controlPlane(withCA())
	target, _ := targetOf(cp, nil)
	if got := caOf(secretFor(t, cp, target, time.Now())); string(got) != string(ca) {
		t.Errorf("caOf = %q, want the CA the kubeconfig holds", got)
	}
	if caOf(nil) != nil || caOf(&corev1.Secret{Data: map[string][]byte{dataKey: []byte("not yaml: [")}}) != nil {
		t.Error("a CA from no kubeconfig")
	}
}

func TestInputsChangeOnlyWithWhatTheKubeconfigIsMadeFrom(t *testing.T) {
	base := controlPlane(withCA())
	for _, c := range []struct {
		name string
		edit func(*controlplanev1beta1.CAPTControlPlane)
		want bool
	}{
		{"another output", func(cp *controlplanev1beta1.CAPTControlPlane) {
			out := withCA()
			out["node_count"] = 3
			raw, _ := json.Marshal(map[string]any{"outputs": out})
			cp.Status.WorkspaceStatus.AtProvider.Raw = raw
		}, false},
		{"the phase", func(cp *controlplanev1beta1.CAPTControlPlane) { cp.Status.Phase = controlplanev1beta1.PhaseDegraded }, false},
		{"the endpoint", func(cp *controlplanev1beta1.CAPTControlPlane) { cp.Spec.ControlPlaneEndpoint.Host = "b.example.com" }, true},
		{"the region", func(cp *controlplanev1beta1.CAPTControlPlane) { cp.Spec.ControlPlaneConfig.Region = "us-east-1" }, true},
		{"the CA", func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.Status.WorkspaceStatus.AtProvider.Raw = []byte(`{"outputs":{}}`)
		}, true},
		{"paused", func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.Annotations = map[string]string{clusterv1.PausedAnnotation: ""}
		}, true},
		{"deleting", func(cp *controlplanev1beta1.CAPTControlPlane) { cp.DeletionTimestamp = &metav1.Time{} }, true},
		{"KubeconfigReady written", func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.Status.Conditions = []metav1.Condition{{Type: controlplanev1beta1.ConditionKubeconfigReady, Status: metav1.ConditionTrue}}
		}, true},
	} {
		cp := base.DeepCopy()
		c.edit(cp)
		if got := inputs(cp) != inputs(base); got != c.want {
			t.Errorf("%s: changed %v, want %v", c.name, got, c.want)
		}
	}
}

func TestControlPlaneOfCluster(t *testing.T) {
	cluster := func(group, kind, name string) *clusterv1.Cluster {
		return &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c1"}, Spec: clusterv1.ClusterSpec{
			ControlPlaneRef: clusterv1.ContractVersionedObjectReference{APIGroup: group, Kind: kind, Name: name},
		}}
	}
	got := controlPlaneOfCluster(t.Context(), cluster(controlplanev1beta1.GroupVersion.Group, "CAPTControlPlane", "cp"))
	if len(got) != 1 || got[0].NamespacedName != (types.NamespacedName{Namespace: "ns", Name: "cp"}) {
		t.Errorf("CAPT's control plane: %v", got)
	}
	for _, c := range []*clusterv1.Cluster{
		cluster("controlplane.cluster.x-k8s.io", "KubeadmControlPlane", "kcp"),
		cluster("other.example.com", "CAPTControlPlane", "cp"),
		cluster("", "", ""),
	} {
		if got := controlPlaneOfCluster(t.Context(), c); len(got) != 0 {
			t.Errorf("%+v: %v", c.Spec.ControlPlaneRef, got)
		}
	}
}
