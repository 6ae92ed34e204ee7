package capi

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// tokenWebhook is kube-apiserver's token authentication webhook playing
// EKS's authenticator: it accepts a k8s-aws-v1. token presigned with
// testenv.AWSCredentials for one of the EKS cluster names it was told,
// checking the presigned request instead of calling AWS, and maps it to an
// administrator.
type tokenWebhook struct {
	mu       sync.Mutex
	clusters map[string]bool
	accepted map[string]int
}

// startTokenWebhook serves the webhook on 127.0.0.1 and writes the
// kubeconfig-format file kube-apiserver's
// --authentication-token-webhook-config-file reads into dir.
func startTokenWebhook(t *testing.T, dir string) (*tokenWebhook, string) {
	t.Helper()
	g := NewWithT(t)
	w := &tokenWebhook{clusters: map[string]bool{}, accepted: map[string]int{}}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	server := &http.Server{Handler: w, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(func() { _ = server.Close() })
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: eks-authenticator
  cluster:
    server: http://%s/authenticate
users:
- name: kube-apiserver
  user: {}
contexts:
- name: webhook
  context:
    cluster: eks-authenticator
    user: kube-apiserver
current-context: webhook
`, listener.Addr())
	path := filepath.Join(dir, "token-webhook.kubeconfig")
	g.Expect(os.WriteFile(path, []byte(config), 0o600)).To(Succeed())
	return w, path
}

// apiServerFlags point kube-apiserver at the webhook.
func (w *tokenWebhook) apiServerFlags(configPath string) map[string]string {
	return map[string]string{
		"authentication-token-webhook-config-file": configPath,
		"authentication-token-webhook-version":     "v1",
		"authentication-token-webhook-cache-ttl":   "0s",
	}
}

// allow accepts tokens for the EKS cluster named eksName.
func (w *tokenWebhook) allow(eksName string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.clusters[eksName] = true
}

// acceptedFor is how many tokens for eksName were accepted.
func (w *tokenWebhook) acceptedFor(eksName string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.accepted[eksName]
}

func (w *tokenWebhook) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	review := &authenticationv1.TokenReview{}
	if err := json.NewDecoder(req.Body).Decode(review); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	review.Status = authenticationv1.TokenReviewStatus{}
	w.mu.Lock()
	for cluster := range w.clusters {
		if testenv.VerifyEKSToken(review.Spec.Token, testenv.AWSCredentials, cluster, time.Now()) == nil {
			w.accepted[cluster]++
			review.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{
				Username: "eks:" + cluster + ":admin", Groups: []string{"system:masters", "system:authenticated"},
			}}
			break
		}
	}
	w.mu.Unlock()
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(review)
}
