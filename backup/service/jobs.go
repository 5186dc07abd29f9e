package service

import (
	"context"
	"fmt"

	"github.com/postfach/postfach/accounts"
)

// job is a running backup or check of one account, so that removing the account can stop
// it and wait for it first.
type job struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// begin registers a job for account id and returns its context and the function that
// ends it. It refuses while the account is being removed.
func (s *Service) begin(ctx context.Context, id string) (context.Context, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removing[id] > 0 {
		return nil, nil, fmt.Errorf("account %s is being removed: %w", id, accounts.ErrNotFound)
	}
	ctx, cancel := context.WithCancel(ctx)
	j := &job{cancel: cancel, done: make(chan struct{})}
	if s.running[id] == nil {
		s.running[id] = map[*job]bool{}
	}
	s.running[id][j] = true
	return ctx, func() {
		cancel()
		s.mu.Lock()
		delete(s.running[id], j)
		if len(s.running[id]) == 0 {
			delete(s.running, id)
		}
		s.mu.Unlock()
		close(j.done)
	}, nil
}

// stopJobs keeps new jobs of account id from starting, cancels the running ones and
// waits until they have ended (a backup stops between safe steps). The returned function
// lets jobs start again; it is also returned, already called, when ctx ends first.
func (s *Service) stopJobs(ctx context.Context, id string) (func(), error) {
	s.mu.Lock()
	s.removing[id]++
	var jobs []*job
	for j := range s.running[id] {
		jobs = append(jobs, j)
	}
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		if s.removing[id]--; s.removing[id] == 0 {
			delete(s.removing, id)
		}
		s.mu.Unlock()
	}
	for _, j := range jobs {
		j.cancel()
	}
	for _, j := range jobs {
		select {
		case <-j.done:
		case <-ctx.Done():
			release()
			return func() {}, fmt.Errorf("stop the running jobs of account %s: %w", id, ctx.Err())
		}
	}
	return release, nil
}
