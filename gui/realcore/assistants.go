package realcore

import (
	"context"

	"github.com/postfach/postfach/backup/imapcopy"
	"github.com/postfach/postfach/backup/service"
	"github.com/postfach/postfach/gui"
)

var _ gui.Assistants = (*Core)(nil)

func switchOptions(t gui.SwitchTarget, progress func(gui.CopyProgress)) *service.SwitchOptions {
	o := &service.SwitchOptions{
		Target: service.Target{Host: t.Host, Port: t.Port, Security: t.Security, Username: t.Username,
			Password: t.Password, AllowPlaintext: t.AllowPlaintext},
		Dir: t.Dir, Retention: t.Retention, Reason: "switch assistant",
	}
	if progress != nil {
		o.Progress = func(p imapcopy.Progress) { progress(gui.CopyProgress{Folder: p.Folder, Done: p.Done, Total: p.Total}) }
	}
	return o
}

func convertSwitchPlan(p *service.SwitchPlan) *gui.SwitchPlan {
	if p == nil {
		return nil
	}
	out := &gui.SwitchPlan{From: p.From, To: p.To, Messages: p.Messages, Bytes: p.Bytes, Fits: p.Fits, QuotaFree: -1, Dir: p.Dir}
	if up := p.Upload; up != nil {
		out.QuotaFree, out.Largest, out.AppendLimit, out.TooBig = up.QuotaFree, up.Largest, up.AppendLimit, len(up.TooBig)
		out.AlreadyThere = up.AlreadyUploaded + up.AlreadyOnServer + up.Duplicates
	}
	return out
}

// PlanSwitch implements gui.Assistants.
func (c *Core) PlanSwitch(ctx context.Context, id string, t gui.SwitchTarget) (*gui.SwitchPlan, error) {
	p, err := c.svc.PlanSwitch(ctx, id, switchOptions(t, nil))
	return convertSwitchPlan(p), err
}

// Switch implements gui.Assistants.
func (c *Core) Switch(ctx context.Context, id string, t gui.SwitchTarget, progress func(gui.CopyProgress)) (*gui.SwitchResult, error) {
	res, err := c.svc.Switch(ctx, id, switchOptions(t, progress))
	if res == nil {
		return nil, err
	}
	out := &gui.SwitchResult{Switched: res.Switched, Verified: res.Verified}
	if res.Upload != nil {
		out.Copied, out.Verified = res.Upload.Uploaded, res.Upload.Verified
	}
	for _, f := range res.Download {
		out.Copied += f.Fetched
	}
	return out, err
}

func archiveChoice(ch gui.ArchiveChoice, progress func(gui.CopyProgress)) *service.ArchiveChoice {
	o := &service.ArchiveChoice{OlderThan: ch.OlderThan, LargerThan: ch.LargerThan}
	if progress != nil {
		o.Progress = func(p imapcopy.Progress) { progress(gui.CopyProgress{Folder: p.Folder, Done: p.Done, Total: p.Total}) }
	}
	return o
}

// PlanArchive implements gui.Assistants.
func (c *Core) PlanArchive(ctx context.Context, id string, ch gui.ArchiveChoice) (*gui.ArchivePlan, error) {
	p, err := c.svc.PlanArchive(ctx, id, archiveChoice(ch, nil))
	if p == nil {
		return nil, err
	}
	return convertArchivePlan(p), err
}

func convertArchivePlan(p *service.ArchivePlan) *gui.ArchivePlan {
	out := &gui.ArchivePlan{Messages: p.Messages, Bytes: p.Bytes, Dir: p.Dir}
	for _, o := range p.Options {
		out.Options = append(out.Options, gui.ArchiveOption{Choice: gui.ArchiveChoice{OlderThan: o.OlderThan, LargerThan: o.LargerThan},
			Messages: o.Messages, Bytes: o.Bytes})
	}
	return out
}

// Archive implements gui.Assistants.
func (c *Core) Archive(ctx context.Context, id string, ch gui.ArchiveChoice, progress func(gui.CopyProgress)) (*gui.ArchiveResult, error) {
	res, err := c.svc.Archive(ctx, id, archiveChoice(ch, progress))
	if res == nil {
		return nil, err
	}
	out := &gui.ArchiveResult{Deleted: res.Deleted, Freed: res.Freed, Kept: res.Kept}
	if res.Plan != nil {
		out.Dir = res.Plan.Dir
	}
	return out, err
}
