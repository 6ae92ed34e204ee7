package v1beta1

import (
	"bytes"
	"encoding/json"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Observation reads a Workspace's status.atProvider as far as the manager
// needs it, and no further: the mirror copies the raw JSON whole, so a
// field that no Go type here declares (remoteSource, or whatever a later
// provider adds) is never lost by decoding.
type Observation struct {
	raw []byte
}

// ObservationOf is the observation in atProvider; nil reads as absent.
func ObservationOf(atProvider *runtime.RawExtension) Observation {
	if atProvider == nil {
		return Observation{}
	}
	return Observation{raw: atProvider.Raw}
}

// Raw is the JSON as the provider wrote it; nil when absent.
func (o Observation) Raw() []byte {
	if o.isNull() {
		return nil
	}
	return o.raw
}

func (o Observation) isNull() bool {
	trimmed := bytes.TrimSpace(o.raw)
	return len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null"))
}

// IsObject reports whether the observation is a JSON object; anything else
// (a string, a number, a list) is not an observation at all.
func (o Observation) IsObject() bool {
	var m map[string]json.RawMessage
	return !o.isNull() && json.Unmarshal(o.raw, &m) == nil
}

// IsEmpty reports whether the observation holds nothing: absent, null, or
// an object whose every field is empty (null, "", {} or []). That is what a
// provider writes after a restart or a failed observe: a gap, not news.
func (o Observation) IsEmpty() bool {
	if o.isNull() {
		return true
	}
	var m map[string]any
	if err := json.Unmarshal(o.raw, &m); err != nil {
		return false
	}
	for _, v := range m {
		switch t := v.(type) {
		case nil:
		case string:
			if t != "" {
				return false
			}
		case map[string]any:
			if len(t) > 0 {
				return false
			}
		case []any:
			if len(t) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Outputs are the Terraform outputs; an error when outputs is there and
// not an object.
func (o Observation) Outputs() (map[string]apiextensionsv1.JSON, error) {
	if o.isNull() {
		return nil, nil
	}
	var fields struct {
		Outputs json.RawMessage `json:"outputs"`
	}
	if err := json.Unmarshal(o.raw, &fields); err != nil {
		return nil, fmt.Errorf("status.atProvider is not an object")
	}
	if len(fields.Outputs) == 0 || bytes.Equal(fields.Outputs, []byte("null")) {
		return nil, nil
	}
	var outputs map[string]apiextensionsv1.JSON
	if err := json.Unmarshal(fields.Outputs, &outputs); err != nil {
		return nil, fmt.Errorf("status.atProvider.outputs is not an object")
	}
	return outputs, nil
}

// Output is one Terraform output's JSON; nil when absent or unreadable.
func (o Observation) Output(name string) []byte {
	outputs, err := o.Outputs()
	if err != nil {
		return nil
	}
	return outputs[name].Raw
}

// StringOutput is a string output's value: ok is false when the output is
// absent, err says when it is there but not a string.
func (o Observation) StringOutput(name string) (value string, ok bool, err error) {
	outputs, err := o.Outputs()
	if err != nil {
		return "", false, err
	}
	raw, ok := outputs[name]
	if !ok || len(raw.Raw) == 0 || bytes.Equal(raw.Raw, []byte("null")) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw.Raw, &value); err != nil {
		return "", false, fmt.Errorf("the Terraform output %s is %s, not a string", name, string(raw.Raw))
	}
	return value, true, nil
}
