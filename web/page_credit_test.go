package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestLoanAndInsurancePages walks the demo: the farmer sees its loan (disbursed in
// the demo) with schedule and statement, a bad application shows a clear error, the
// 阜平 officer reviews the queue and the portfolio, an officer of another county
// cannot see the farmer's loan, the insurance page lists the paid claim, and the
// public fund page shows the pledges and coverage to anyone.
func TestLoanAndInsurancePages(t *testing.T) {
	srv, _, _ := demoServer(t)
	farmer := login(t, srv.URL, "farmer", "fishpond-demo")
	status, body := page(t, farmer, "GET", srv.URL+"/loans", nil)
	if status != 200 || !strings.Contains(body, "春耕种子贷") || !strings.Contains(body, "我的贷款") {
		t.Fatalf("loans page %d", status)
	}
	loan := regexp.MustCompile(`href="/loans/([0-9a-f-]{36})"`).FindStringSubmatch(body)
	product := regexp.MustCompile(`<option value="([0-9a-f-]{36})">春耕种子贷`).FindStringSubmatch(body)
	key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(body)
	if loan == nil || product == nil || key == nil {
		t.Fatal("loans page lacks the farmer's loan or the application form")
	}
	status, body = page(t, farmer, "GET", srv.URL+"/loans/"+loan[1], nil)
	if status != 200 || !strings.Contains(body, "还款计划") || !strings.Contains(body, "贷款发放") || !strings.Contains(body, "按销售额比例自动还款") {
		t.Fatalf("loan page %d", status)
	}
	// A second application while the loan is open: a clear error, nothing changes.
	status, body = page(t, farmer, "POST", srv.URL+"/loans/apply", url.Values{"key": {key[1]}, "product": {product[1]}, "amount": {"1000"}})
	if status != http.StatusConflict || !strings.Contains(body, "须先还清现有贷款") {
		t.Fatalf("second application: %d", status)
	}
	status, body = page(t, farmer, "POST", srv.URL+"/loans/apply", url.Values{"key": {key[1]}, "product": {product[1]}, "amount": {"lots"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "amount") {
		t.Fatalf("bad amount: %d", status)
	}
	// Repaying more than is owed is refused with the outstanding amount named.
	status, body = page(t, farmer, "POST", srv.URL+"/loans/"+loan[1]+"/repay", url.Values{"key": {"k1"}, "amount": {"999999"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "超过未还金额") {
		t.Fatalf("over-repayment: %d", status)
	}

	officer := login(t, srv.URL, "fuping", "fishpond-demo")
	status, body = page(t, officer, "GET", srv.URL+"/loans/queue", nil)
	if status != 200 || !strings.Contains(body, "待审核") {
		t.Fatalf("queue %d", status)
	}
	// The demo leaves referred applications of the millet cooperative's members.
	if app := regexp.MustCompile(`action="/loans/applications/([0-9a-f-]{36})/review"`).FindStringSubmatch(body); app == nil {
		t.Fatal("the demo's review queue is empty")
	} else {
		if status, body = page(t, officer, "POST", srv.URL+"/loans/applications/"+app[1]+"/review", url.Values{"decision": {"decline"}}); status != 400 {
			t.Fatalf("decline without a reason: %d", status)
		}
		if status, _ = page(t, officer, "POST", srv.URL+"/loans/applications/"+app[1]+"/review", url.Values{"decision": {"decline"}, "note": {"无销售记录"}, "back": {"queue"}}); status != 200 {
			t.Fatalf("decline: %d", status)
		}
		if _, body = page(t, officer, "GET", srv.URL+"/loans/applications/"+app[1], nil); !strings.Contains(body, "无销售记录") || !strings.Contains(body, "评分依据") {
			t.Fatal("the decision page does not show the officer's reason and the score's terms")
		}
	}
	status, body = page(t, officer, "GET", srv.URL+"/loans/portfolio", nil)
	if status != 200 || !strings.Contains(body, "阜平县") || !strings.Contains(body, "违约率") {
		t.Fatalf("portfolio %d", status)
	}
	other := login(t, srv.URL, "lankao", "fishpond-demo")
	if status, _ = page(t, other, "GET", srv.URL+"/loans/"+loan[1], nil); status != http.StatusNotFound {
		t.Fatalf("another county's officer opened the farmer's loan: %d", status)
	}

	status, body = page(t, farmer, "GET", srv.URL+"/insurance", nil)
	if status != 200 || !strings.Contains(body, "已赔付") || !strings.Contains(body, "阜平县人民医院") {
		t.Fatalf("insurance page %d", status)
	}
	anon := &http.Client{}
	status, body = page(t, anon, "GET", srv.URL+"/funds/health-insurance", nil)
	if status != 200 || !strings.Contains(body, "基金余额") || !strings.Contains(body, "阜平县") || strings.Contains(body, "骆驼湾农户") {
		t.Fatalf("fund page %d", status)
	}
}

// apiCall sends JSON with the client's session cookie.
func apiCall(t *testing.T, c *http.Client, method, u, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestCreditAndInsuranceAPI: the JSON API refuses bad input with field errors and
// changes nothing, and serves the fund report and the portfolio.
func TestCreditAndInsuranceAPI(t *testing.T) {
	srv, _, svc := demoServer(t)
	farmer := login(t, srv.URL, "farmer", "fishpond-demo")
	status, prods := apiCall(t, farmer, "GET", srv.URL+"/api/v1/loan-products", "", "")
	items, _ := prods["items"].([]any)
	if status != 200 || len(items) != 4 {
		t.Fatalf("products %d %v", status, prods)
	}
	pid := items[0].(map[string]any)["id"].(string)
	me, err := svc.Access.UserByName(context.Background(), "farmer")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"household_id":"` + me.HouseholdID + `","product_id":"` + pid + `","amount_fen":99999999}`
	if status, _ := apiCall(t, farmer, "POST", srv.URL+"/api/v1/loan-applications", "", body); status != 400 {
		t.Fatalf("no Idempotency-Key: %d", status)
	}
	status, e := apiCall(t, farmer, "POST", srv.URL+"/api/v1/loan-applications", "k1", body)
	fields, _ := e["error"].(map[string]any)["fields"].(map[string]any)
	if status != 400 || fields["amount"] == nil {
		t.Fatalf("over-limit application: %d %v", status, e)
	}
	status, loans := apiCall(t, farmer, "GET", srv.URL+"/api/v1/households/"+me.HouseholdID+"/loans", "", "")
	if items, _ := loans["items"].([]any); status != 200 || len(items) != 1 {
		t.Fatalf("loans %d %v", status, loans)
	}
	// A claim for someone never insured: invalid, nothing recorded.
	status, e = apiCall(t, farmer, "POST", srv.URL+"/api/v1/insurance/claims", "c1", `{"member_id":"nobody","category":"accident","hospital":"县医院","amount_fen":100,"incurred_on":"2020-01-01","documents":["x"]}`)
	if status != 400 || e["error"].(map[string]any)["fields"].(map[string]any)["member_id"] == nil {
		t.Fatalf("uninsured claim: %d %v", status, e)
	}
	status, fund := apiCall(t, farmer, "GET", srv.URL+"/api/v1/charity-funds/health-insurance", "", "")
	if status != 200 || fund["pledges_fen"].(float64) <= 0 || fund["claims_paid"].(float64) != 1 {
		t.Fatalf("fund %d %v", status, fund)
	}
	if status, _ := apiCall(t, farmer, "GET", srv.URL+"/api/v1/loan-portfolio", "", ""); status != 403 {
		t.Fatalf("a household read the portfolio: %d", status)
	}
	officer := login(t, srv.URL, "fuping", "fishpond-demo")
	status, port := apiCall(t, officer, "GET", srv.URL+"/api/v1/loan-portfolio", "", "")
	if items, _ := port["items"].([]any); status != 200 || len(items) != 1 || items[0].(map[string]any)["county_code"] != "130624" {
		t.Fatalf("portfolio %d %v", status, port)
	}
}

// TestCoopLoanPages: the demo's cooperative manager sees the cooperative's loan
// (scored on its sales, purchase agreements and contracts, the reasons in Chinese
// and English), its statement with the share of its sales the rule took, and can
// repay from the cooperative's cash; a second application is a clear conflict; no
// one else's loans are visible to the manager, and the cooperative's loans are
// invisible outside its county; the portfolio counts it as one borrower.
func TestCoopLoanPages(t *testing.T) {
	srv, _, svc := demoServer(t)
	mgr := login(t, srv.URL, "coop", "fishpond-demo")
	status, body := page(t, mgr, "GET", srv.URL+"/loans", nil)
	if status != 200 || !strings.Contains(body, "骆驼湾") || !strings.Contains(body, "合作社的贷款") || !strings.Contains(body, "为合作社申请贷款") {
		t.Fatalf("cooperative loans page %d", status)
	}
	loan := regexp.MustCompile(`href="/loans/([0-9a-f-]{36})"`).FindStringSubmatch(body)
	app := regexp.MustCompile(`href="/loans/applications/([0-9a-f-]{36})"`).FindStringSubmatch(body)
	coop := regexp.MustCompile(`name="coop" value="([0-9a-f-]{36})"`).FindStringSubmatch(body)
	product := regexp.MustCompile(`<option value="([0-9a-f-]{36})">合作社生产贷`).FindStringSubmatch(body)
	key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(body)
	if loan == nil || app == nil || coop == nil || product == nil || key == nil {
		t.Fatal("the page lacks the cooperative's loan, application or form")
	}
	status, body = page(t, mgr, "GET", srv.URL+"/loans/applications/"+app[1], nil)
	if status != 200 || !strings.Contains(body, "收购协议") || !strings.Contains(body, "土地流转合同") || !strings.Contains(body, "建档立卡社员") {
		t.Fatalf("decision page %d lacks the contract and agreement reasons", status)
	}
	status, body = page(t, mgr, "GET", srv.URL+"/loans/"+loan[1], nil)
	if status != 200 || !strings.Contains(body, "从合作社资金还款") || !strings.Contains(body, "销售自动扣款") || !strings.Contains(body, "农资") {
		t.Fatalf("loan page %d", status)
	}
	status, body = page(t, mgr, "POST", srv.URL+"/loans/apply", url.Values{"key": {key[1]}, "coop": {coop[1]}, "product": {product[1]}, "amount": {"20000"}, "supplier": {"农资站"}})
	if status != http.StatusConflict || !strings.Contains(body, "须先还清现有贷款") {
		t.Fatalf("second application: %d", status)
	}
	if status, _ = page(t, mgr, "POST", srv.URL+"/loans/"+loan[1]+"/repay", url.Values{"key": {"coop-manual-1"}, "amount": {"100"}}); status != 200 {
		t.Fatalf("manual repayment: %d", status)
	}
	// English reasons.
	page(t, mgr, "GET", srv.URL+"/lang/en", nil)
	if _, body = page(t, mgr, "GET", srv.URL+"/loans/applications/"+app[1], nil); !strings.Contains(body, "purchase agreements with households in force") || !strings.Contains(body, "land-transfer contracts") {
		t.Fatal("the English decision page lacks the reasons")
	}

	// The JSON API: the cooperative's loans for its manager; the farmer's loans,
	// and the farmer applying for the cooperative, are refused.
	status, ls := apiCall(t, mgr, "GET", srv.URL+"/api/v1/farms/"+coop[1]+"/loans", "", "")
	if items, _ := ls["items"].([]any); status != 200 || len(items) != 1 || items[0].(map[string]any)["coop_id"] != coop[1] || items[0].(map[string]any)["borrower_kind"] != "cooperative" {
		t.Fatalf("cooperative loans %d %v", status, ls)
	}
	if status, as := apiCall(t, mgr, "GET", srv.URL+"/api/v1/farms/"+coop[1]+"/loan-applications", "", ""); status != 200 || len(as["items"].([]any)) != 1 {
		t.Fatalf("cooperative applications %d %v", status, as)
	}
	farmerUser, err := svc.Access.UserByName(context.Background(), "farmer")
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := apiCall(t, mgr, "GET", srv.URL+"/api/v1/households/"+farmerUser.HouseholdID+"/loans", "", ""); status != http.StatusNotFound {
		t.Fatalf("the manager read a household's loans: %d", status)
	}
	farmer := login(t, srv.URL, "farmer", "fishpond-demo")
	body2 := `{"coop_id":"` + coop[1] + `","product_id":"` + product[1] + `","amount_fen":2000000,"supplier":"农资站"}`
	if status, _ := apiCall(t, farmer, "POST", srv.URL+"/api/v1/loan-applications", "farmer-for-coop", body2); status != http.StatusNotFound {
		t.Fatalf("a household applied for the cooperative: %d", status)
	}
	other := login(t, srv.URL, "lankao", "fishpond-demo")
	if status, _ := apiCall(t, other, "GET", srv.URL+"/api/v1/farms/"+coop[1]+"/loans", "", ""); status != http.StatusNotFound {
		t.Fatalf("another county's officer listed the cooperative's loans: %d", status)
	}
	officer := login(t, srv.URL, "fuping", "fishpond-demo")
	status, port := apiCall(t, officer, "GET", srv.URL+"/api/v1/loan-portfolio", "", "")
	if items, _ := port["items"].([]any); status != 200 || len(items) != 1 || items[0].(map[string]any)["coop_borrowers"].(float64) != 1 {
		t.Fatalf("portfolio %d %v", status, port)
	}
	if status, body = page(t, officer, "GET", srv.URL+"/loans?coop="+coop[1], nil); status != 200 || !strings.Contains(body, "合作社的贷款") {
		t.Fatalf("the officer's view of the cooperative's loans: %d", status)
	}
}
