package mockserver

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestIDs(t *testing.T) {
	var a, b, c requestIDs
	a.init(1)
	b.init(1)
	c.init(2)
	ida := string(a.appendID(nil, "req_"))
	assert.Equal(t, ida, string(b.appendID(nil, "req_")), "seeded")
	assert.NotEqual(t, ida, string(c.appendID(nil, "req_")))
	assert.Regexp(t, `^req_01[0-9A-Za-z]{22}$`, ida)
	seen := map[string]bool{ida: true}
	for range 10000 {
		id := string(a.appendID(nil, "msg_"))
		assert.False(t, seen[id])
		seen[id] = true
	}
}

// TestIDCursor checks that a cursor makes the id requestIDs.appendID makes for each counter
// value it hands out (across base62 carries and reserved blocks), and that cursors on several
// goroutines never hand out the same id.
func TestIDCursor(t *testing.T) {
	var ids requestIDs
	ids.init(9)
	ids.next.Store(62*62 - 100) // the first block carries into a third digit
	var c idCursor
	for range 3 * idReserve {
		got := string(c.appendID(nil, &ids, "msg_"))
		var ref requestIDs
		ref.prefix = ids.prefix
		ref.next.Store(c.n - 2) // appendID adds one, and c.n is already the next value
		require.Equal(t, string(ref.appendID(nil, "msg_")), got)
	}

	var shared requestIDs
	shared.init(1)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var c idCursor
			var mine []string
			for range 3 * idReserve {
				mine = append(mine, string(c.appendID(nil, &shared, "req_")))
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range mine {
				assert.False(t, seen[id], "id %s handed out twice", id)
				seen[id] = true
			}
		})
	}
	wg.Wait()
	assert.Len(t, seen, 4*3*idReserve)
}
