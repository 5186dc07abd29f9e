package dovecottest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
)

// serve answers the requests of test binaries that cannot run Dovecot themselves
// (remote.go; the Windows test binaries under Wine) on l, until ctx ends: each "start"
// launches a fresh private instance, as Start does, and later requests act on it. When
// ctx ends, every instance still running is stopped and removed.
func serve(ctx context.Context, l net.Listener) error {
	dovecotBin, doveadmBin := findBinary("dovecot"), findBinary("doveadm")
	if dovecotBin == "" || doveadmBin == "" {
		return errors.New("dovecot/doveadm not installed")
	}
	var mu sync.Mutex
	instances := map[int]*Server{}
	next := 0
	handle := func(req remoteRequest) (remoteResponse, error) {
		if req.Op == "start" {
			s, err := launch(dovecotBin, doveadmBin, req.OAuth2)
			if err != nil {
				return remoteResponse{}, err
			}
			mu.Lock()
			next++
			id := next
			instances[id] = s
			mu.Unlock()
			return remoteResponse{Instance: &remoteInstance{ID: id, Dir: s.Dir, ConfPath: s.ConfPath,
				IMAPPort: s.IMAPPort, IMAPSPort: s.IMAPSPort, POP3Port: s.POP3Port, POP3SPort: s.POP3SPort,
				Root: s.root, MailUID: s.mailUID, MailGID: s.mailGID}}, nil
		}
		mu.Lock()
		s := instances[req.ID]
		if req.Op == "close" {
			delete(instances, req.ID)
		}
		mu.Unlock()
		if s == nil {
			return remoteResponse{}, fmt.Errorf("no instance %d", req.ID)
		}
		switch req.Op {
		case "stop":
			s.stop()
		case "restart":
			return remoteResponse{}, s.restart()
		case "close":
			s.close()
		case "doveadm":
			out, err := s.DoveadmErr(req.Args...)
			return remoteResponse{Out: out}, err
		case "chown":
			if len(req.Args) != 1 || !strings.HasPrefix(filepath.Clean(req.Args[0]), s.Dir+string(filepath.Separator)) {
				return remoteResponse{}, fmt.Errorf("chown: %q is not inside %s", req.Args, s.Dir)
			}
			return remoteResponse{}, s.chown(req.Args[0])
		default:
			return remoteResponse{}, fmt.Errorf("unknown operation %q", req.Op)
		}
		return remoteResponse{}, nil
	}
	srv := &http.Server{ReadHeaderTimeout: remoteTimeout, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req remoteRequest
		var resp remoteResponse
		err := json.NewDecoder(r.Body).Decode(&req)
		if err == nil {
			resp, err = handle(req)
		}
		if err != nil {
			resp.Err = fmt.Sprintf("dovecottest server: %s: %v", req.Op, err)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		srv.Close()
	}()
	err := srv.Serve(l)
	<-stopped
	mu.Lock()
	defer mu.Unlock()
	for id, s := range instances {
		s.close()
		delete(instances, id)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
