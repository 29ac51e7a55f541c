package suggest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"burst", "burst", 0},
		{"burts", "burst", 1}, {"kitten", "sitting", 3}, {"ca", "abc", 3}, {"rmp", "rpm", 1},
	} {
		assert.Equal(t, tc.want, Distance(tc.a, tc.b), "%q %q", tc.a, tc.b)
		assert.Equal(t, tc.want, Distance(tc.b, tc.a), "%q %q", tc.b, tc.a)
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	names := []string{"full-jitter", "equal-jitter", "decorrelated-jitter", "exponential", "none", "rpm", "window"}
	for _, tc := range []struct {
		name, word, want string
	}{
		{"transposition", "rmp", "rpm"},
		{"case", "WINDOW", "window"},
		{"two edits", "exponental", "exponential"},
		{"part of a name", "decorrelated", "decorrelated-jitter"},
		{"nothing near", "banana", ""},
		{"too short to contain", "ji", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Closest(tc.word, names))
		})
	}
}

func TestUnknown(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `unknown field "burts"; did you mean "burst"?`, Unknown("field", "burts", []string{"rate", "burst"}))
	assert.Equal(t, `unknown field "zzz"; valid: rate, burst`, Unknown("field", "zzz", []string{"rate", "burst"}))
}

// TestClosestFields: typos of scenario field names.
func TestClosestFields(t *testing.T) {
	t.Parallel()
	fields := []string{"name", "stages", "start_rate", "max_inflight", "duration", "rate", "find"}
	for _, tc := range []struct{ in, want string }{
		{"stagez", "stages"}, {"Stages", "stages"}, {"durration", "duration"}, {"maxinflight", "max_inflight"},
		{"startrate", "start_rate"}, {"rat", "rate"}, {"stagse", "stages"}, {"fnid", "find"},
		{"x", ""}, {"zzz", ""}, {"completely-different", ""},
	} {
		assert.Equal(t, tc.want, Closest(tc.in, fields), tc.in)
	}
}

func TestDidYouMean(t *testing.T) {
	t.Parallel()
	names := []string{"retry-after", "aimd", "tier-1", "tier-2"}
	assert.Equal(t, ` (did you mean "retry-after"?)`, DidYouMean("retry-afer", names))
	assert.Equal(t, ` (did you mean "aimd"?)`, DidYouMean("aimdd", names))
	assert.Equal(t, "", DidYouMean("qqqqqqqq", names))
}
