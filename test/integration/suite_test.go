// Package integration holds envtest tests of the API contract: CRDs, schema
// validation and server-side apply ownership, against a real kube-apiserver.
package integration

import (
	"fmt"
	"os"
	"testing"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}
