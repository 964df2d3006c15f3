package fake_test

import (
	"sync"
	"testing"

	"github.com/ecsperm/ecsperm/fake"
)

// TestNewClientConcurrently builds clients from several goroutines at once:
// under -race this catches the SDK's unlocked endpoint table.
func TestNewClientConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fake.NewClient("127.0.0.1:1", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
