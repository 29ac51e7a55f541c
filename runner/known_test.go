package runner

import (
	"testing"
	"time"

	"github.com/ratelab/ratelab/account"
	"github.com/ratelab/ratelab/limiter"
	"github.com/ratelab/ratelab/record"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKnownLimits(t *testing.T) {
	burst := int64(3)
	tests := []struct {
		name string
		edit func(c *account.Config)
		want []record.KnownLimit
	}{
		{"defaults: three token buckets of one minute", func(*account.Config) {}, []record.KnownLimit{
			{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 50, Burst: 50, WindowS: 60},
			{Dimension: "input_tokens", Algorithm: "token-bucket", PerMinute: 30000, Burst: 30000, WindowS: 60},
			{Dimension: "output_tokens", Algorithm: "token-bucket", PerMinute: 8000, Burst: 8000, WindowS: 60},
		}},
		{"window algorithm: rate × window per window", func(c *account.Config) {
			c.Algorithm, c.Window = limiter.FixedWindow, 5*time.Second
			c.Limits.Requests.PerMinute = 600
			c.Limits.InputTokens.PerMinute, c.Limits.OutputTokens.PerMinute = 0, 0
		}, []record.KnownLimit{{Dimension: "requests", Algorithm: "fixed-window", PerMinute: 600, Burst: 50, WindowS: 5}}},
		{"burst, per-dimension window and advertised limit", func(c *account.Config) {
			c.Limits.Requests = account.Limit{PerMinute: 60, Window: time.Second, Burst: &burst, Advertise: &account.Limit{PerMinute: 60}}
			c.Limits.InputTokens.PerMinute, c.Limits.OutputTokens.PerMinute = 0, 0
			c.Limits.Tokens.PerMinute = 1000
		}, []record.KnownLimit{
			{Dimension: "requests", Algorithm: "token-bucket", PerMinute: 60, Burst: 3, WindowS: 1, AdvertisedMin: 60},
			{Dimension: "tokens", Algorithm: "token-bucket", PerMinute: 1000, Burst: 1000, WindowS: 60},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := account.DefaultConfig()
			tt.edit(&c)
			require.NoError(t, c.Validate())
			assert.Equal(t, tt.want, knownLimits(c))
		})
	}
}
