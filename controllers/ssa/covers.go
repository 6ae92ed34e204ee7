package ssa

import (
	"encoding/json"
	"fmt"
)

// Covers reports whether every field set in desired has the same value in
// live, ignoring fields live has beyond them (defaults, other managers'
// fields). It is the no-op check for objects cached without managedFields:
// what the manager would apply is already there. Lists must have the same
// length, with each item covered in order.
func Covers(desired, live any) (bool, error) {
	d, err := generic(desired)
	if err != nil {
		return false, err
	}
	l, err := generic(live)
	if err != nil {
		return false, err
	}
	return covers(d, l), nil
}

func covers(d, l any) bool {
	switch dv := d.(type) {
	case map[string]any:
		lv, ok := l.(map[string]any)
		if !ok {
			return false
		}
		for k, child := range dv {
			lchild, ok := lv[k]
			if !ok || !covers(child, lchild) {
				return false
			}
		}
		return true
	case []any:
		lv, ok := l.([]any)
		if !ok || len(lv) != len(dv) {
			return false
		}
		for i := range dv {
			if !covers(dv[i], lv[i]) {
				return false
			}
		}
		return true
	default:
		return d == l
	}
}

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
