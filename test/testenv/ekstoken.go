package testenv

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/capt-controlplane/capt-controlplane/internal/ekstoken"
)

// VerifyEKSToken checks a token the way EKS's authenticator relies on STS to: that
// it presigns GetCallerIdentity on the regional STS endpoint, that it is no
// older than ekstoken.Lifetime at now, and that its signature is the one creds make
// for cluster (so the cluster name header was signed). It needs the
// signer's credentials instead of calling STS: tests use it, with known
// credentials.
func VerifyEKSToken(token string, creds aws.Credentials, cluster string, now time.Time) error {
	u, err := ekstoken.Decode(token)
	if err != nil {
		return err
	}
	q := u.Query()
	if q.Get("Action") != "GetCallerIdentity" || q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return fmt.Errorf("not a presigned GetCallerIdentity request")
	}
	scope := strings.Split(q.Get("X-Amz-Credential"), "/") // key/date/region/sts/aws4_request
	if len(scope) != 5 || scope[3] != "sts" {
		return fmt.Errorf("credential scope %q is not STS's", q.Get("X-Amz-Credential"))
	}
	region := scope[2]
	if u.Host != "sts."+region+".amazonaws.com" {
		return fmt.Errorf("host %s is not STS in %s", u.Host, region)
	}
	if !strings.Contains(q.Get("X-Amz-SignedHeaders"), ekstoken.ClusterIDHeader) {
		return fmt.Errorf("the %s header is not signed", ekstoken.ClusterIDHeader)
	}
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("X-Amz-Date: %w", err)
	}
	if age := now.Sub(signedAt); age > ekstoken.Lifetime || age < -time.Minute {
		return fmt.Errorf("signed at %s: expired or from the future at %s", signedAt, now)
	}
	again, err := ekstoken.New(context.Background(), creds, region, cluster, signedAt)
	if err != nil {
		return err
	}
	want, err := ekstoken.Decode(again.Value)
	if err != nil {
		return err
	}
	if want.Query().Get("X-Amz-Signature") != q.Get("X-Amz-Signature") {
		return fmt.Errorf("the signature is not that of these credentials for cluster %q", cluster)
	}
	return nil
}
