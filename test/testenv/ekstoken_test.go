package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/capt-controlplane/capt-controlplane/internal/ekstoken"
)

func TestVerifyEKSToken(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	clock := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tok, err := ekstoken.New(context.Background(), creds, "ap-northeast-1", "demo", clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyEKSToken(tok.Value, creds, "demo", clock.Add(14*time.Minute)); err != nil {
		t.Errorf("a fresh token for demo: %v", err)
	}
	other := creds
	other.SecretAccessKey = "another"
	for name, err := range map[string]error{
		"another cluster's name": VerifyEKSToken(tok.Value, creds, "other", clock),
		"other credentials":      VerifyEKSToken(tok.Value, other, "demo", clock),
		"after 15 minutes":       VerifyEKSToken(tok.Value, creds, "demo", clock.Add(16*time.Minute)),
		"not a token":            VerifyEKSToken("Bearer xyz", creds, "demo", clock),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
