package ssa

import (
	"reflect"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Inputs are the versions of every object a reconcile decided from.
type Inputs struct{ s string }

// Add records obj's uid and resourceVersion under name; a nil obj (absent)
// is recorded as such.
func (in *Inputs) Add(name string, obj client.Object) {
	if obj == nil || reflect.ValueOf(obj).IsNil() {
		in.s += name + "=-;"
		return
	}
	in.s += name + "=" + string(obj.GetUID()) + "@" + obj.GetResourceVersion() + ";"
}

// Settled remembers, per object, the inputs of the last reconcile that
// found nothing to send. A reconcile that reads the same versions again can
// only decide the same, so a resync of an unchanged object costs its cache
// reads and not the conversions of Extract: with a short sync period and a
// thousand control planes, those conversions alone kept a core busy. Any
// write, by anyone, to any input changes a version.
type Settled struct{ m sync.Map }

// Holds reports whether key last settled on exactly in.
func (s *Settled) Holds(key types.NamespacedName, in *Inputs) bool {
	v, ok := s.m.Load(key)
	return ok && v.(string) == in.s
}

// HoldsVersionOf reports whether key last settled with obj, at its current
// version, under name: an event showing obj at that version brings nothing
// the last decision did not see.
func (s *Settled) HoldsVersionOf(key types.NamespacedName, name string, obj client.Object) bool {
	v, ok := s.m.Load(key)
	if !ok {
		return false
	}
	one := &Inputs{}
	one.Add(name, obj)
	return strings.Contains(";"+v.(string), ";"+one.s)
}

// Store records that key settled on in.
func (s *Settled) Store(key types.NamespacedName, in *Inputs) { s.m.Store(key, in.s) }

// Forget drops key, for an object that is gone or decided differently.
func (s *Settled) Forget(key types.NamespacedName) { s.m.Delete(key) }
