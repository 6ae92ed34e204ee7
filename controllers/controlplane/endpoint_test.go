package controlplane

import (
	"testing"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

func TestParseEndpoint(t *testing.T) {
	cases := []struct {
		raw  string
		want controlplanev1beta1.APIEndpoint
		ok   bool
	}{
		{"https://ABC.gr7.ap-northeast-1.eks.amazonaws.com", controlplanev1beta1.APIEndpoint{Host: "ABC.gr7.ap-northeast-1.eks.amazonaws.com", Port: 443}, true},
		{"https://abc.example.com:6443", controlplanev1beta1.APIEndpoint{Host: "abc.example.com", Port: 6443}, true},
		{"https://abc.example.com/", controlplanev1beta1.APIEndpoint{Host: "abc.example.com", Port: 443}, true},
		{"https://10.0.0.1:8443", controlplanev1beta1.APIEndpoint{Host: "10.0.0.1", Port: 8443}, true},
		{"http://abc.example.com", controlplanev1beta1.APIEndpoint{}, false},
		{"abc.example.com", controlplanev1beta1.APIEndpoint{}, false},
		{"https://", controlplanev1beta1.APIEndpoint{}, false},
		{"https://abc.example.com:99999", controlplanev1beta1.APIEndpoint{}, false},
		{"https://abc.example.com/path", controlplanev1beta1.APIEndpoint{}, false},
		{"", controlplanev1beta1.APIEndpoint{}, false},
		{"://bad", controlplanev1beta1.APIEndpoint{}, false},
	}
	for _, tc := range cases {
		got, err := parseEndpoint(tc.raw)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseEndpoint(%q) = %+v, %v; want %+v, ok=%v", tc.raw, got, err, tc.want, tc.ok)
		}
	}
}
