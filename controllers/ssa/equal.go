package ssa

import (
	"bytes"
	"encoding/json"
)

// JSONEqual reports whether a and b marshal to the same JSON value: key
// order, whitespace inside raw JSON and number spelling (1e3, 1000) do not
// matter. It is the comparison behind "equal: send nothing".
//
// Both sides are brought to canonical JSON (decoded into any, encoded again
// with sorted keys) and compared byte for byte. Numbers go through float64,
// as encoding/json decodes them: integers beyond 2^53 that differ only past
// that precision compare equal.
func JSONEqual(a, b any) (bool, error) {
	ca, err := canonical(a)
	if err != nil {
		return false, err
	}
	cb, err := canonical(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ca, cb), nil
}

func canonical(v any) ([]byte, error) {
	g, err := generic(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(g)
}
