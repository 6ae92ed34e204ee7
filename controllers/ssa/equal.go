package ssa

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// JSONEqual reports whether a and b marshal to the same JSON value: key
// order, whitespace inside raw JSON and number spelling (1e3, 1000) do not
// matter. It is the comparison behind "equal: send nothing".
//
// Numbers compare as float64, as encoding/json decodes them; integers beyond
// 2^53 that differ only past that precision compare equal.
func JSONEqual(a, b any) (bool, error) {
	ca, err := canonical(a)
	if err != nil {
		return false, err
	}
	cb, err := canonical(b)
	if err != nil {
		return false, err
	}
	return reflect.DeepEqual(ca, cb), nil
}

func canonical(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshalling for comparison: %w", err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("unmarshalling for comparison: %w", err)
	}
	return out, nil
}
