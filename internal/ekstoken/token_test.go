package ekstoken

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var (
	creds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	clock = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
)

func TestTokenFormat(t *testing.T) {
	tok, err := New(context.Background(), creds, "ap-northeast-1", "demo", clock)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Value, "k8s-aws-v1.") || strings.ContainsAny(tok.Value[len(Prefix):], "+/=") {
		t.Fatalf("not k8s-aws-v1. and unpadded base64url: %s", tok.Value)
	}
	if want := clock.Add(15 * time.Minute); !tok.Expires.Equal(want) {
		t.Errorf("expires %s, want %s", tok.Expires, want)
	}
	u, err := Decode(tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for key, want := range map[string]string{
		"Action": "GetCallerIdentity", "Version": "2011-06-15", "X-Amz-Expires": "60",
		"X-Amz-Date": "20261126T100000Z", "X-Amz-Credential": "AKIDEXAMPLE/20261126/ap-northeast-1/sts/aws4_request",
		"X-Amz-SignedHeaders": "host;x-k8s-aws-id", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
	} {
		if got := q.Get(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if u.Scheme != "https" || u.Host != "sts.ap-northeast-1.amazonaws.com" {
		t.Errorf("URL %s is not the regional STS endpoint", u)
	}
	if len(q.Get("X-Amz-Signature")) != 64 {
		t.Errorf("signature %q", q.Get("X-Amz-Signature"))
	}
}

func TestNewNeedsCredentialsAndNames(t *testing.T) {
	for name, c := range map[string]struct {
		creds           aws.Credentials
		region, cluster string
	}{
		"no keys":    {aws.Credentials{}, "ap-northeast-1", "demo"},
		"no region":  {creds, "", "demo"},
		"no cluster": {creds, "ap-northeast-1", ""},
	} {
		if _, err := New(context.Background(), c.creds, c.region, c.cluster, clock); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
