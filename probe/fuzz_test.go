package probe

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ratelab/ratelab/api"
)

// FuzzAnswer reads any 2xx body as the anthropic and openai targets do: no panic, token counts
// within 0..api.MaxUsage, no usage taken from a body that is not an answer, and a problem text
// that is valid UTF-8, bounded, and never carries the key. Run it with
//
//	go test ./probe -run '^$' -fuzz '^FuzzAnswer$' -fuzztime 60s
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		`{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"hi"}],"stop_reason":"max_tokens","usage":{"input_tokens":32,"output_tokens":16}}`,
		`{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}`,
		`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
		`{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
		`{"error":"key ` + fakeKey + ` is over quota"}`, `{"error":null,"usage":{"input_tokens":1e400}}`,
		`<html>502</html>`, ``, `{"usage":{"input_tokens":-1,"output_tokens":1099511627777}}`, `{"usage":{"input_tokens":2.5}}`,
		`{"error":{"type":"\u0000\ud800","message":"` + strings.Repeat("\\u00e9", 200) + `"}}`,
	} {
		f.Add([]byte(s))
	}
	var targets []*Target
	for _, a := range []api.API{api.Anthropic, api.OpenAI} {
		tg, err := NewTarget(TargetConfig{API: a, URL: "http://127.0.0.1:1", Key: fakeKey, Model: "m", MaxTokens: 1, PromptTokens: 1})
		if err != nil {
			f.Fatal(err)
		}
		targets = append(targets, tg)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, tg := range targets {
			in, out, problem := tg.Answer(200, body)
			if in < 0 || in > api.MaxUsage || out < 0 || out > api.MaxUsage {
				t.Fatalf("%s: usage %d, %d out of range: %q", tg.API(), in, out, body)
			}
			if problem == "" {
				continue
			}
			if in != 0 || out != 0 {
				t.Fatalf("%s: usage %d, %d read from a body that is not an answer (%s)", tg.API(), in, out, problem)
			}
			if !utf8.ValidString(problem) || utf8.RuneCountInString(problem) > 200 {
				t.Fatalf("%s: problem text invalid or unbounded: %q", tg.API(), problem)
			}
			if strings.Contains(problem, fakeKey) {
				t.Fatalf("%s: problem text carries the key: %q", tg.API(), problem)
			}
		}
	})
}
