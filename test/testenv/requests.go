package testenv

import (
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Request is one request a client sent to the API server.
type Request struct {
	// Verb is the API verb: get, list, watch, create, update, patch, apply,
	// delete or deletecollection.
	Verb string
	// Resource is "<resource>.<group>" ("secrets" for the core group).
	Resource    string
	Subresource string
	Namespace   string
	Name        string
	// FieldManager is the request's fieldManager parameter.
	FieldManager string
	// LabelSelector is the labelSelector parameter of a list or watch.
	LabelSelector string
	// Bytes is the size of the request body.
	Bytes int64
	// Gzip: the request asked for a gzipped response (Accept-Encoding).
	Gzip bool
}

// Write reports whether the request changes anything (or would).
func (r Request) Write() bool {
	switch r.Verb {
	case "create", "update", "patch", "apply", "delete", "deletecollection":
		return true
	}
	return false
}

// Key is the request's verb, resource, subresource and field manager, the
// grouping the whole-manager tests and the benchmark count by.
func (r Request) Key() string {
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	return fmt.Sprintf("%s %s (%s)", r.Verb, res, r.FieldManager)
}

// RequestLog records every request of one client: wrap its transport
// (Wrap) or put Proxy in front of a process.
type RequestLog struct {
	mu   sync.Mutex
	reqs []Request
}

// Record adds req.
func (l *RequestLog) Record(req *http.Request) {
	r := parseRequest(req)
	l.mu.Lock()
	l.reqs = append(l.reqs, r)
	l.mu.Unlock()
}

// Mark is the position of the next request, for Since.
func (l *RequestLog) Mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reqs)
}

// Since returns the requests recorded from mark on.
func (l *RequestLog) Since(mark int) []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Request(nil), l.reqs[mark:]...)
}

// Wrap is a rest.Config WrapTransport that records every request.
func (l *RequestLog) Wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		l.Record(req)
		return next.RoundTrip(req)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// Proxy starts a plain-HTTP reverse proxy on 127.0.0.1 that records every
// request and forwards it to the API server of upstream, with upstream's
// credentials (impersonation included). It writes a kubeconfig for the
// proxy into dir, for a separate process such as bin/manager, and returns
// its path and a function that stops the proxy.
func (l *RequestLog) Proxy(upstream *rest.Config, dir string) (kubeconfig string, stop func(), err error) {
	// The proxy forwards the client's Accept-Encoding and nothing more: a
	// transport that added gzip of its own would make the API server
	// compress for a client that did not ask.
	upstream = rest.CopyConfig(upstream)
	upstream.DisableCompression = true
	transport, err := rest.TransportFor(upstream)
	if err != nil {
		return "", nil, err
	}
	target := strings.TrimSuffix(upstream.Host, "/")
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			out := pr.Out
			out.URL.Scheme, out.URL.Host = "https", strings.TrimPrefix(target, "https://")
			out.Host = out.URL.Host
		},
		Transport:     transport,
		FlushInterval: -1, // watches stream
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			if req.Context().Err() == nil { // a client that went away is no error
				http.Error(w, err.Error(), http.StatusBadGateway)
			}
		},
	}
	// TLS, as an API server serves: client-go honours a client's
	// DisableCompression (and builds its own transport) only for a server
	// it reaches over TLS; for plain HTTP it takes Go's default transport.
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		l.Record(req)
		proxy.ServeHTTP(w, req)
	}))
	server.EnableHTTP2 = true
	server.StartTLS()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw})

	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: server.URL, CertificateAuthorityData: ca}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy"}
	cfg.CurrentContext = "proxy"
	kubeconfig = filepath.Join(dir, fmt.Sprintf("proxy-%d.kubeconfig", server.Listener.Addr().(*net.TCPAddr).Port))
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		server.Close()
		return "", nil, err
	}
	return kubeconfig, func() {
		// Watches never end on their own: Close alone would wait for them.
		server.CloseClientConnections()
		server.Close()
	}, nil
}

// parseRequest reads an API request's verb, resource and field manager
// from its method, path and query.
func parseRequest(req *http.Request) Request {
	query := req.URL.Query()
	r := Request{
		FieldManager: query.Get("fieldManager"), LabelSelector: query.Get("labelSelector"),
		Gzip: strings.Contains(req.Header.Get("Accept-Encoding"), "gzip"),
	}
	if req.ContentLength > 0 {
		r.Bytes = req.ContentLength
	}
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	var group string
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		group, parts = parts[1], parts[3:]
	default:
		parts = nil
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		r.Namespace, parts = parts[1], parts[2:]
	}
	if len(parts) > 0 {
		r.Resource = parts[0]
		if group != "" {
			r.Resource += "." + group
		}
	}
	if len(parts) > 1 {
		r.Name = parts[1]
	}
	if len(parts) > 2 {
		r.Subresource = parts[2]
	}
	switch req.Method {
	case http.MethodGet:
		switch {
		case query.Get("watch") == "true" || query.Get("watch") == "1":
			r.Verb = "watch"
		case r.Name == "":
			r.Verb = "list"
		default:
			r.Verb = "get"
		}
	case http.MethodPost:
		r.Verb = "create"
	case http.MethodPut:
		r.Verb = "update"
	case http.MethodPatch:
		r.Verb = "patch"
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch") {
			r.Verb = "apply"
		}
	case http.MethodDelete:
		r.Verb = "delete"
		if r.Name == "" {
			r.Verb = "deletecollection"
		}
	default:
		r.Verb = strings.ToLower(req.Method)
	}
	return r
}

// CountByKey counts requests by Key, for reports and failure messages.
func CountByKey(reqs []Request) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		out[r.Key()]++
	}
	return out
}

// Writes are the requests that write, except the leader's lease renewals
// (the heartbeat of leader election, not a write of any controller).
func Writes(reqs []Request) []Request {
	var out []Request
	for _, r := range reqs {
		if r.Write() && r.Resource != "leases.coordination.k8s.io" {
			out = append(out, r)
		}
	}
	return out
}

// FormatCounts prints counts one per line, sorted.
func FormatCounts(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %5d %s\n", counts[k], k)
	}
	return b.String()
}
