package ekstoken

import "testing"

func TestParseCredentials(t *testing.T) {
	ini := []byte(`# provider-terraform credentials
[other]
aws_access_key_id = OTHER
aws_secret_access_key = other-secret

[default]
aws_access_key_id=AKIDEXAMPLE
AWS_SECRET_ACCESS_KEY = secret
aws_session_token = token
`)
	creds, err := ParseCredentials(ini, "")
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKIDEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
		t.Errorf("default profile: %+v", creds)
	}
	if creds, err = ParseCredentials(ini, "other"); err != nil || creds.AccessKeyID != "OTHER" {
		t.Errorf("profile other: %+v, %v", creds, err)
	}
	if _, err := ParseCredentials(ini, "missing"); err == nil {
		t.Error("a missing profile is accepted")
	}
	if _, err := ParseCredentials([]byte("[default]\naws_access_key_id = A\n"), ""); err == nil {
		t.Error("a profile without a secret key is accepted")
	}
}
