package skeleton

import (
	"slices"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Inputs are the versions of every object a reconcile decided from, by
// name, in the order they were read.
type Inputs struct{ entries []input }

type input struct{ name, version string }

// absent is the version of an input that does not exist.
const absent = "-"

// Add records obj's uid and resourceVersion under name; a nil obj (absent)
// is recorded as such.
func (in *Inputs) Add(name string, obj client.Object) {
	version := absent
	if !absentObject(obj) {
		version = string(obj.GetUID()) + "@" + obj.GetResourceVersion()
	}
	in.entries = append(in.entries, input{name, version})
}

// Note records a fact that is not an object's version under name: one
// that must also be unchanged for a reconcile to decide the same.
func (in *Inputs) Note(name string, fact bool) {
	in.entries = append(in.entries, input{name, strconv.FormatBool(fact)})
}

// version is the version recorded under name; false when none is.
func (in *Inputs) version(name string) (string, bool) {
	for _, e := range in.entries {
		if e.name == name {
			return e.version, true
		}
	}
	return "", false
}

// Memory remembers, per object, the inputs of the last reconcile that found
// nothing to send. A reconcile that reads the same versions again can only
// decide the same, so a resync of an unchanged object costs its cache
// reads and not the conversions of Extract: with a short sync period and a
// thousand control planes, those conversions alone kept a core busy. Any
// write, by anyone, to any input changes a version.
type Memory struct{ m sync.Map } // types.NamespacedName -> *Inputs

// Holds reports whether key last settled on exactly in. A nil Memory is
// that of a controller that never settles (Act never reports Settled): it
// holds nothing.
func (m *Memory) Holds(key types.NamespacedName, in *Inputs) bool {
	if m == nil {
		return false
	}
	v, ok := m.m.Load(key)
	return ok && slices.Equal(v.(*Inputs).entries, in.entries)
}

// holdsVersionOf reports whether key last settled with obj, at its current
// version, as the object reconciled (Self).
func (m *Memory) holdsVersionOf(key types.NamespacedName, obj client.Object) bool {
	v, ok := m.m.Load(key)
	if !ok {
		return false
	}
	settled, ok := v.(*Inputs).version(Self)
	one := &Inputs{}
	one.Add(Self, obj)
	return ok && settled == one.entries[0].version
}

// Store records that key settled on in.
func (m *Memory) Store(key types.NamespacedName, in *Inputs) { m.m.Store(key, in) }

// Forget drops key, for an object that is gone or decided differently.
func (m *Memory) Forget(key types.NamespacedName) {
	if m != nil {
		m.m.Delete(key)
	}
}
