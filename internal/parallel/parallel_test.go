package parallel

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDo(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	tests := []struct {
		name string
		give []error
		want error
	}{
		{"none", nil, nil},
		{"one", []error{errA}, errA},
		{"first in order, not in time", []error{nil, errB, errA}, errB},
		{"all nil", []error{nil, nil}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fns := make([]func() error, len(tt.give))
			for i, err := range tt.give {
				fns[i] = func() error { return err }
			}
			errs := Do(fns...)
			if diff := cmp.Diff(tt.give, errs, cmpopts.EquateErrors(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Do (-want +got):\n%s", diff)
			}
			if got := All(fns...); got != tt.want {
				t.Errorf("All = %v, want %v", got, tt.want)
			}
		})
	}
}

// The calls of Do run at once: each waits for the others to start.
func TestDoRunsAtOnce(t *testing.T) {
	const n = 4
	var started sync.WaitGroup
	started.Add(n)
	fns := make([]func() error, n)
	for i := range fns {
		fns[i] = func() error {
			started.Done()
			started.Wait()
			return nil
		}
	}
	if err := All(fns...); err != nil {
		t.Fatal(err)
	}
}
