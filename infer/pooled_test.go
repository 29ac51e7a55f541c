package infer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestStudentT checks the t quantiles against the tables (two-sided 95% and 99%), and that
// many degrees of freedom give the normal's.
func TestStudentT(t *testing.T) {
	for _, tc := range []struct {
		conf, dof, want float64
	}{
		{0.95, 1, 12.706}, {0.95, 2, 4.303}, {0.95, 3, 3.182}, {0.95, 4, 2.776}, {0.95, 5, 2.571},
		{0.95, 10, 2.228}, {0.95, 30, 2.042}, {0.99, 4, 4.604}, {0.99, 9, 3.250}, {0.95, 1000, 1.962},
		{0.9973, 100000, 3.0},
	} {
		assert.InDelta(t, tc.want, studentT(tc.conf, tc.dof), 0.002, "conf %v dof %v", tc.conf, tc.dof)
	}
}
