package fake

// RAM is an in-memory RAM. (Skeleton; the full fake is being built.)
type RAM struct{}

// Options configures a fake RAM; nil means defaults.
type Options struct{}

// New returns an empty fake RAM.
func New(opts *Options) *RAM { return &RAM{} }
