package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/fake"
)

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, stdout := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{
			"-addr", "127.0.0.1:0",
			"-access-key-id", "ID", "-access-key-secret", "SECRET",
			"-account", "1234567890123456", "-latency", "1ms",
		}, stdout)
	}()

	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "ramserver listening on http://"
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("first line = %q, want prefix %q", line, prefix)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, prefix))

	c, err := fake.NewClient(addr, credentials.NewAccessKeyCredential("ID", "SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	req := ram.CreateCreateRoleRequest()
	req.RoleName = "demo"
	req.AssumeRolePolicyDocument = `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	resp, err := c.CreateRole(req)
	if err != nil {
		t.Fatalf("CreateRole through ramserver: %v", err)
	}
	if want := "acs:ram::1234567890123456:role/demo"; resp.Role.Arn != want {
		t.Errorf("Arn = %q, want %q", resp.Role.Arn, want)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run() after cancel = %v, want nil", err)
	}
}

func TestRunRefusesBadArguments(t *testing.T) {
	key := []string{"-access-key-id", "ID", "-access-key-secret", "SECRET", "-addr", "127.0.0.1:0"}
	tests := []struct {
		name string
		give []string
		want string
	}{
		{name: "no key", give: []string{"-addr", "127.0.0.1:0"}, want: "an access key is required"},
		{name: "no secret", give: []string{"-access-key-id", "ID", "-addr", "127.0.0.1:0"}, want: "an access key is required"},
		{name: "account not digits", give: append([]string{"-account", "12ab"}, key...), want: "string of digits"},
		{name: "negative latency", give: append([]string{"-latency", "-1s"}, key...), want: "must not be negative"},
		{name: "bad latency", give: append([]string{"-latency", "soon"}, key...), want: "invalid value"},
		{name: "stray argument", give: append(append([]string{}, key...), "extra"), want: "unexpected arguments: extra"},
		{name: "bad address", give: []string{"-access-key-id", "ID", "-access-key-secret", "S", "-addr", "256.1.1.1:bad"}, want: "listen:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := run(context.Background(), tt.give, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run() = %v, want an error containing %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	if err := run(context.Background(), []string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("run(-h) = %v, want flag.ErrHelp", err)
	}
}
