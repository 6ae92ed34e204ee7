package ssa

import (
	"encoding/json"
	"fmt"
)

// generic is v as encoding/json's generic values (maps, slices, strings,
// float64s, bools, nil).
func generic(v any) (any, error) {
	raw, err := marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("unmarshalling for comparison: %w", err)
	}
	return out, nil
}
