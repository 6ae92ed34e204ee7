package controlplane

import (
	"fmt"
	"net"
	"net/url"
	"strconv"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

// defaultPort is the port of an EKS endpoint that names none.
const defaultPort = 443

// parseEndpoint turns the Terraform output cluster_endpoint
// ("https://host[:port]") into a Cluster API endpoint.
func parseEndpoint(raw string) (controlplanev1beta1.APIEndpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return controlplanev1beta1.APIEndpoint{}, fmt.Errorf("cluster_endpoint %q is not a URL: %w", raw, err)
	}
	if u.Scheme != "https" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return controlplanev1beta1.APIEndpoint{}, fmt.Errorf("cluster_endpoint %q is not of the form https://host[:port]", raw)
	}
	port := defaultPort
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return controlplanev1beta1.APIEndpoint{}, fmt.Errorf("cluster_endpoint %q has an invalid port", raw)
		}
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil && len(u.Hostname()) > 253 {
		return controlplanev1beta1.APIEndpoint{}, fmt.Errorf("cluster_endpoint %q has an invalid host", raw)
	}
	return controlplanev1beta1.APIEndpoint{Host: u.Hostname(), Port: int32(port)}, nil
}

// sameEndpoint reports whether the recorded endpoint is the one parsed from
// cluster_endpoint. Upstream CAPT recorded the host with its scheme
// ("https://host"); after an upgrade that is the same endpoint, kept as
// recorded (Cluster API copied it), not a moved one.
func sameEndpoint(recorded, parsed controlplanev1beta1.APIEndpoint) bool {
	return recorded.Port == parsed.Port && recorded.Hostname() == parsed.Host
}
