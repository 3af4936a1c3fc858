package demo

import (
	"context"
	"fmt"

	"fishpond/partners"
)

// The demo's partner: an NGO that has applied, been approved and granted the
// aggregated data and webhooks of two demo counties, with one API key. Its member
// logs in as "ngo" to see the portal; a second organisation waits for approval.
func init() {
	steps = append(steps, step{name: "partners", run: loadPartners})
}

func loadPartners(ctx context.Context, d Deps, _ Loaded) error {
	if d.Partners == nil {
		return nil
	}
	p, err := d.Partners.Apply(ctx, partners.Application{Name: "乡村振兴公益基金会", Kind: "ngo", Website: "https://rural-ngo.example.org",
		Purpose: "跟踪阜平、兰考两县建档立卡户的脱贫成效，按月向捐赠人公开汇总数据", ContactName: "周晓燕", ContactPhone: "13911112222",
		UserName: "ngo", Password: "fishpond-demo"})
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	admin, err := d.Access.UserByName(ctx, "admin")
	if err != nil {
		return err
	}
	ap := admin.Principal()
	if _, err := d.Partners.Decide(ctx, ap, p.ID, partners.StatusApproved, "材料齐全，同意加入 / complete, approved"); err != nil {
		return err
	}
	if _, err := d.Partners.Grant(ctx, ap, p.ID, []string{partners.ScopeReadAggregates, partners.ScopeWebhooks, partners.ScopeReadOpen},
		[]string{"130624", "410225"}, partners.DefaultRatePerMinute); err != nil {
		return err
	}
	member, err := d.Access.UserByName(ctx, "ngo")
	if err != nil {
		return err
	}
	if _, _, err := d.Partners.CreateKey(ctx, member.Principal(), p.ID, partners.KeyInput{Label: "月度监测脚本",
		Scopes: []string{partners.ScopeReadAggregates}, Counties: []string{"130624", "410225"}}); err != nil {
		return err
	}
	_, err = d.Partners.Apply(ctx, partners.Application{Name: "西部数字农业研究院", Kind: "research", Website: "https://agri-lab.example.org",
		Purpose: "研究东乡县养殖户的物联网监测数据，改进死亡率预测模型", ContactName: "马建国", ContactPhone: "0930-7123456",
		UserName: "agrilab", Password: "fishpond-demo"})
	return err
}
