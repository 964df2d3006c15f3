// Package parallel runs independent calls at once: the reads of one level,
// the writes that depend on nothing. It is shared by encryptperm and the
// packages under it that may not import encryptperm.
package parallel

import "sync"

// Do runs fns at once and returns their errors, in the order of fns. A
// single fn runs on the calling goroutine.
func Do(fns ...func() error) []error {
	errs := make([]error, len(fns))
	if len(fns) == 1 {
		errs[0] = fns[0]()
		return errs
	}
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errs
}

// First returns the first error of errs that is not nil, or nil.
func First(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// All runs fns at once, as Do does, and returns the first of their errors
// in the order of fns, or nil.
func All(fns ...func() error) error { return First(Do(fns...)) }
