// Package ekstoken makes the bearer tokens an EKS API server accepts, in
// aws-iam-authenticator's format: "k8s-aws-v1." and the base64url of a
// presigned STS GetCallerIdentity request for the cluster's region, signed
// with the header x-k8s-aws-id set to the EKS cluster name. EKS calls STS
// with the request to learn who signed it. Presigning needs credentials,
// not the network.
package ekstoken

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	// Prefix starts every token.
	Prefix = "k8s-aws-v1."
	// ClusterIDHeader names the EKS cluster the token is for; it is signed.
	ClusterIDHeader = "x-k8s-aws-id"
	// Lifetime is how long EKS accepts a token after it was signed.
	Lifetime = 15 * time.Minute
	// presignExpiry is the X-Amz-Expires aws-iam-authenticator sends; EKS
	// applies Lifetime regardless.
	presignExpiry = "60"
	// emptyPayloadHash is the SHA-256 of an empty body.
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Token is a bearer token and when EKS stops accepting it.
type Token struct {
	Value   string
	Expires time.Time
}

// New signs a token for the EKS cluster named cluster in region at now.
func New(ctx context.Context, creds aws.Credentials, region, cluster string, now time.Time) (Token, error) {
	if region == "" || cluster == "" {
		return Token{}, fmt.Errorf("a token needs a region and a cluster name")
	}
	if !creds.HasKeys() {
		return Token{}, fmt.Errorf("a token needs an access key and a secret key")
	}
	req, err := Request(region, cluster)
	if err != nil {
		return Token{}, err
	}
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, emptyPayloadHash, "sts", region, now.UTC())
	if err != nil {
		return Token{}, fmt.Errorf("presigning the STS request: %w", err)
	}
	return Token{Value: Prefix + base64.RawURLEncoding.EncodeToString([]byte(signed)), Expires: now.Add(Lifetime)}, nil
}

// Request is the unsigned STS GetCallerIdentity request a token presigns.
func Request(region, cluster string) (*http.Request, error) {
	query := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}, "X-Amz-Expires": {presignExpiry}}
	req, err := http.NewRequest(http.MethodGet, "https://sts."+region+".amazonaws.com/?"+query.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(ClusterIDHeader, cluster)
	return req, nil
}

// Decode returns the presigned URL a token carries.
func Decode(token string) (*url.URL, error) {
	encoded, ok := strings.CutPrefix(token, Prefix)
	if !ok {
		return nil, fmt.Errorf("not an EKS token: no %q prefix", Prefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("not an EKS token: %w", err)
	}
	return url.Parse(string(raw))
}
