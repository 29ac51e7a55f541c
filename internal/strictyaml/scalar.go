package strictyaml

import (
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// scalar decodes a string, bool, integer, float or interface value.
func (d *Decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		if v.Kind() == reflect.Interface {
			var x any
			if err := n.Decode(&x); err != nil {
				d.Fail(n, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
				return
			}
			if x != nil {
				v.Set(reflect.ValueOf(x))
			}
			return
		}
		d.Fail(n, path, "must be %s, got %s", wantOf(v.Kind()), Describe(n))
		return
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if tag != "!!bool" || n.Decode(&b) != nil {
			d.Fail(n, path, "must be true or false, got %s", Show(n.Value))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := Int(n)
		if !ok || v.OverflowInt(i) {
			d.Fail(n, path, "must be a whole number, got %s", Show(n.Value))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := Int(n)
		if !ok || i < 0 || v.OverflowUint(uint64(i)) {
			d.Fail(n, path, "must be a whole number of at least 0, got %s", Show(n.Value))
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		f, ok := Float(n)
		if !ok || v.OverflowFloat(f) {
			d.Fail(n, path, "must be a number, got %s", Show(n.Value))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			d.Fail(n, path, "cannot read %s", Show(n.Value))
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.Fail(n, path, "unsupported field type %s", v.Type())
	}
}

// Int reads an integer scalar.
func Int(n *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		return 0, false
	}
	var i int64
	if err := n.Decode(&i); err != nil {
		return 0, false
	}
	return i, true
}

// Float reads an integer or float scalar as a finite float64.
func Float(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	if t := n.ShortTag(); t != "!!int" && t != "!!float" {
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// Duration reads a Go duration ("30s", "1m30s", "250ms"); 0 alone is allowed without a unit.
func (d *Decoder) Duration(n *yaml.Node, path string) (time.Duration, bool) {
	if !d.Expect(n, path, yaml.ScalarNode, "a duration such as 30s") {
		return 0, false
	}
	if n.Value == "0" {
		return 0, true
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		if _, isNum := Float(n); isNum {
			d.Fail(n, path, "must be a duration with a unit, such as %ss", n.Value)
		} else {
			d.Fail(n, path, "must be a duration such as 30s, 1m30s or 250ms, got %s", Show(n.Value))
		}
		return 0, false
	}
	return dur, true
}

// Join appends key to a field path: "a.b", or "a[\"odd key\"]" for a key that is not a plain
// name.
func Join(path, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
		if path == "" {
			return "[" + key + "]"
		}
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
