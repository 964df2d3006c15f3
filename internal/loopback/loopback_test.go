package loopback_test

import (
	"testing"

	"github.com/ecsperm/ecsperm/internal/loopback"
)

func TestIs(t *testing.T) {
	tests := []struct {
		give string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.9.9.9", true},
		{"[::1]:443", true},
		{"::1", true},
		{"localhost:80", true},
		{"localhost", true},
		{"ram.aliyuncs.com", false},
		{"ram.aliyuncs.com:443", false},
		{"10.0.0.1:8080", false},
		{"localhost.example.com:80", false},
		{"127.0.0.1.example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := loopback.Is(tt.give); got != tt.want {
			t.Errorf("Is(%q) = %v, want %v", tt.give, got, tt.want)
		}
	}
}
