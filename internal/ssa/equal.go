package ssa

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// JSONEqual reports whether a and b marshal to the same JSON value: key
// order, whitespace inside raw JSON and number spelling (1e3, 1000; -0, 0) do not
// matter. It is the comparison behind "equal: send nothing".
//
// Both sides are brought to canonical JSON (decoded into any, encoded again
// with sorted keys) and compared byte for byte. Numbers go through float64,
// as encoding/json decodes them: integers beyond 2^53 that differ only past
// that precision compare equal.
func JSONEqual(a, b any) (bool, error) {
	ra, err := marshal(a)
	if err != nil {
		return false, err
	}
	rb, err := marshal(b)
	if err != nil {
		return false, err
	}
	if bytes.Equal(ra, rb) {
		return true, nil // one encoding, one value: the usual "nothing changed"
	}
	ca, err := canonicalize(ra)
	if err != nil {
		return false, err
	}
	cb, err := canonicalize(rb)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ca, cb), nil
}

func marshal(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshalling for comparison: %w", err)
	}
	return raw, nil
}

// canonicalize re-encodes JSON with sorted keys and numbers spelled as
// encoding/json spells a float64, negative zero as zero (the same number).
func canonicalize(raw []byte) ([]byte, error) {
	var g any
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("unmarshalling for comparison: %w", err)
	}
	return json.Marshal(withoutNegativeZero(g))
}

func withoutNegativeZero(v any) any {
	switch v := v.(type) {
	case float64:
		if v == 0 {
			return 0.0
		}
	case map[string]any:
		for k, e := range v {
			v[k] = withoutNegativeZero(e)
		}
	case []any:
		for i, e := range v {
			v[i] = withoutNegativeZero(e)
		}
	}
	return v
}
