package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

// startRun runs the server with args on a free port and returns its address.
func startRun(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, stdout := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-access-key-id", "ID", "-access-key-secret", "SECRET"}, args...), stdout)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run() = %v", err)
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return strings.TrimSpace(strings.TrimPrefix(line, "ramserver listening on http://"))
}

func TestSlowClientIsCutOff(t *testing.T) {
	addr := startRun(t, "-read-timeout", "100ms")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nA"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("ramserver kept the slow connection open")
		}
		return
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
}

func TestOversizeQueryAnswersInRAMFormat(t *testing.T) {
	addr := startRun(t)
	resp, err := http.Get("http://" + addr + "/?Action=GetRole&RoleName=" + strings.Repeat("a", 2<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct{ Code, RequestId string }
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || b.Code != "InvalidParameter.RequestTooLarge" {
		t.Errorf("answer = %d %+v (%v), want 431 InvalidParameter.RequestTooLarge in JSON", resp.StatusCode, b, err)
	}
}

// TestV3Client calls ramserver through darabonba's CallApi with its default
// signature (ACS3-HMAC-SHA256).
func TestV3Client(t *testing.T) {
	addr := startRun(t)
	c, err := openapi.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String("ID"), AccessKeySecret: dara.String("SECRET"),
		Endpoint: dara.String(addr), Protocol: dara.String("HTTP"), NoProxy: dara.String(addr),
	})
	if err != nil {
		t.Fatal(err)
	}
	call := func(action string, q map[string]*string) (map[string]any, error) {
		return c.CallApi(&openapiutil.Params{
			Action: dara.String(action), Version: dara.String("2015-05-01"), Protocol: dara.String("HTTP"),
			Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
			Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
		}, &openapiutil.OpenApiRequest{Query: q}, &dara.RuntimeOptions{})
	}
	trust := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}`
	if _, err := call("CreateRole", map[string]*string{"RoleName": dara.String("demo"), "AssumeRolePolicyDocument": dara.String(trust)}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	out, err := call("GetRole", map[string]*string{"RoleName": dara.String("demo")})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	role, _ := out["body"].(map[string]any)["Role"].(map[string]any)
	if got, want := role["Arn"], "acs:ram::1234567890123456:role/demo"; got != want {
		t.Errorf("Arn = %v, want %s", got, want)
	}
	_, err = call("GetRole", map[string]*string{"RoleName": dara.String("missing")})
	if err == nil || !strings.Contains(err.Error(), "EntityNotExist.Role") {
		t.Errorf("GetRole of a missing role = %v, want EntityNotExist.Role", err)
	}
}
