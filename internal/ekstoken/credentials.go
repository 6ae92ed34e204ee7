package ekstoken

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// ParseCredentials reads the keys of profile ("default" when empty) from an
// AWS shared-credentials (ini) file, the form provider-terraform's
// ProviderConfig credentials Secrets hold for AWS.
func ParseCredentials(ini []byte, profile string) (aws.Credentials, error) {
	if profile == "" {
		profile = "default"
	}
	values := map[string]string{}
	section := ""
	scanner := bufio.NewScanner(bytes.NewReader(ini))
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(strings.TrimPrefix(line[1:len(line)-1], "profile "))
		case section == profile:
			if key, value, ok := strings.Cut(line, "="); ok {
				values[strings.ToLower(strings.TrimSpace(key))] = strings.TrimSpace(value)
			}
		}
	}
	if err := scanner.Err(); err != nil {
		return aws.Credentials{}, err
	}
	creds := aws.Credentials{
		AccessKeyID:     values["aws_access_key_id"],
		SecretAccessKey: values["aws_secret_access_key"],
		SessionToken:    values["aws_session_token"],
	}
	if !creds.HasKeys() {
		return aws.Credentials{}, fmt.Errorf("no aws_access_key_id and aws_secret_access_key in profile %q", profile)
	}
	return creds, nil
}
