package web

import (
	"net/http"
	"strings"
)

// Pages speak Simplified Chinese by default and English on request (the lang cookie,
// set by /lang/en and /lang/zh). Keys are English phrases so templates stay readable.
var messages = map[string]map[string]string{
	"zh": {
		"Fishpond":                       "鱼塘 · 互联网+扶贫",
		"tagline":                        "让贫困县的农户连上全国市场，并逐户证明收入的变化",
		"Log in":                         "登录",
		"Log out":                        "退出",
		"User name":                      "用户名",
		"Password":                       "密码",
		"Counties":                       "县",
		"Poverty counties":               "国家级贫困县",
		"All provinces":                  "全部省份",
		"All counties":                   "全部县",
		"Only poverty counties":          "只看贫困县",
		"Search":                         "搜索",
		"Province":                       "省份",
		"Prefecture":                     "地市",
		"County":                         "县",
		"Region":                         "区域",
		"Exit year":                      "摘帽年份",
		"east":                           "东部",
		"central":                        "中部",
		"west":                           "西部",
		"Poverty county":                 "贫困县",
		"Villages":                       "行政村",
		"Village":                        "村",
		"Town":                           "乡镇",
		"Households":                     "农户",
		"People":                         "人口",
		"Registered households":          "建档立卡户",
		"Household number":               "户编号",
		"Head of household":              "户主",
		"Size":                           "人数",
		"Status":                         "状态",
		"Poverty cause":                  "主要致贫原因",
		"Registered in":                  "识别年份",
		"Members":                        "家庭成员",
		"Name":                           "姓名",
		"Relationship":                   "与户主关系",
		"Sex":                            "性别",
		"Birth date":                     "出生日期",
		"Identity number":                "身份证号",
		"Phone":                          "联系电话",
		"Labour":                         "劳动能力",
		"Health":                         "健康状况",
		"Schooling":                      "文化程度",
		"In school":                      "在校生",
		"Disability":                     "残疾情况",
		"Show":                           "查看",
		"Indicators":                     "两不愁三保障",
		"Food and clothing secure":       "不愁吃、不愁穿",
		"Compulsory education":           "义务教育有保障",
		"Basic medical insurance":        "基本医疗有保障",
		"Housing safety":                 "住房安全等级",
		"Safe drinking water":            "饮水安全有保障",
		"History":                        "变更记录",
		"When":                           "时间",
		"Who":                            "操作人",
		"What":                           "内容",
		"Import":                         "导入",
		"Import households":              "导入建档立卡户",
		"Spreadsheet (CSV or XLSX)":      "表格文件（CSV 或 XLSX）",
		"Download template":              "下载模板",
		"Upload and import":              "上传并导入",
		"Import report":                  "导入报告",
		"Row":                            "行",
		"Column":                         "列",
		"Reason":                         "原因",
		"created":                        "新增",
		"updated":                        "更新",
		"unchanged":                      "未变",
		"Rows read":                      "读取行数",
		"Rows with errors":               "错误行数",
		"Users":                          "用户",
		"Role":                           "角色",
		"Add user":                       "添加用户",
		"Display name":                   "显示名称",
		"County codes (comma separated)": "县代码（逗号分隔）",
		"Household ID":                   "农户 ID",
		"Disable":                        "停用",
		"Enable":                         "启用",
		"Disabled":                       "已停用",
		"API tokens":                     "API 令牌",
		"New token":                      "新建令牌",
		"Label":                          "名称",
		"Create":                         "创建",
		"Revoke":                         "撤销",
		"Revoked":                        "已撤销",
		"Created":                        "创建时间",
		"Last used":                      "最近使用",
		"never":                          "从未",
		"Copy this token now; it will not be shown again.": "请立即复制此令牌，之后不会再显示。",
		"Households by status":                             "农户状态分布",
		"Households by poverty cause":                      "致贫原因分布",
		"Households by village":                            "各村农户数",
		"yes":                                              "是",
		"no":                                               "否",
		"Previous":                                         "上一页",
		"Next":                                             "下一页",
		"No records.":                                      "暂无记录。",
		"Something went wrong":                             "出错了",
		"Back":                                             "返回",
		"Home":                                             "首页",
		"My household":                                     "我的家庭",
		"All statuses":                                     "全部状态",
		"All causes":                                       "全部原因",
		"All villages":                                     "全部村",
		"Filter":                                           "筛选",
		"poor":                                             "未脱贫",
		"exited":                                           "已脱贫",
		"marginal":                                         "边缘户",
		"returned":                                         "返贫",
		"M":                                                "男",
		"F":                                                "女",
		"Masked for privacy":                               "已脱敏",
		"Reading a full number is recorded in the audit log.": "查看完整号码会记入审计日志。",
		"Demo accounts":                        "演示账号",
		"admin":                                "管理员",
		"fund_admin":                           "基金管理员",
		"county_officer":                       "县级干部",
		"coop_manager":                         "合作社负责人",
		"household":                            "农户",
		"consumer":                             "消费者",
		"partner":                              "合作机构",
		"auditor":                              "审计员",
		"Language":                             "English",
		"Signed in as":                         "当前用户",
		"Import into county":                   "导入到县",
		"Rows":                                 "行",
		"Choose a file":                        "选择文件",
		"Importing…":                           "正在导入…",
		"Members total":                        "成员总数",
		"Create a shopper account":             "注册购物账号",
		"Sign up":                              "注册",
		"Shopping for poverty-county produce?": "来买贫困县好物？",
		"Flash sale":                           "限时秒杀",
		"until":                                "截至",
		"Grab it":                              "立即抢购",
		"New product":                          "上架新商品",
		"Unit":                                 "单位",
		"Price (yuan)":                         "价格（元）",
		"Photo":                                "照片",
		"County brand":                         "一县一品",
		"Standards":                            "标准",
		"Average income per mu":                "亩均收入",
		"Before joining":                       "加入前",
		"After joining":                        "加入后",
		"Participating households":             "参与农户",
		"mu":                                   "亩",
		"quality":                              "品质",
		"planting":                             "种植",
		"Traceability":                         "溯源",
		"Channel":                              "频道",
		"Inspected":                            "检测于",
		"passed":                               "合格",
		"provinces":                            "个省",
		"poverty counties":                     "个贫困县",
		"products":                             "个商品",
		"Search: millet, melon, 小米…":           "搜索：小米、蜜瓜……",
		"min ¥":                                "最低价",
		"max ¥":                                "最高价",
		"Poverty-county channel":               "贫困县频道",
		"Review queue":                         "待审核",
		"Reason (to reject)":                   "驳回理由",
		"Approve":                              "通过",
		"Reject":                               "驳回",
		"Apply to the 兴农扶贫 channel":            "申请加入兴农扶贫频道",
		"joined":                               "加入于",
		"Provinces":                            "省份",
		"health-insurance":                     "健康险公益基金",
		"Poverty-county produce":               "贫困县好物",
		"Every purchase shows up as income of the registered households that grew it.": "每一笔购买，都记入种植它的建档立卡户的收入。",
		"Sold":                               "已售",
		"Stock":                              "库存",
		"Poverty alleviation":                "扶贫",
		"Charity":                            "公益",
		"Shops":                              "店铺",
		"Origin":                             "产地",
		"Harvest date":                       "采收日期",
		"Batch":                              "批次",
		"Producers":                          "生产者",
		"registered households":              "户建档立卡户",
		"Limit per buyer":                    "每人限购",
		"per item to":                        "每件捐给",
		"Quantity":                           "数量",
		"Add to cart":                        "加入购物车",
		"Log in to buy":                      "登录后购买",
		"Cart":                               "购物车",
		"Remove":                             "移除",
		"Checkout":                           "结算",
		"Pay":                                "支付",
		"Your cart is empty.":                "购物车是空的。",
		"New delivery address":               "新增收货地址",
		"County code":                        "县代码",
		"Address":                            "详细地址",
		"My orders":                          "我的订单",
		"items":                              "件",
		"Order":                              "订单",
		"Refunded":                           "已退款",
		"Tracking":                           "运单号",
		"Unpaid orders are released at":      "未支付订单将在此时释放库存：",
		"Cancel":                             "取消订单",
		"Confirm receipt":                    "确认收货",
		"Where the money went":               "货款去向",
		"Seller dashboard":                   "卖家中心",
		"To ship":                            "待发货",
		"Sales":                              "销售额",
		"Products":                           "商品",
		"Orders":                             "订单",
		"Ship":                               "发货",
		"Refund amount":                      "退款金额（元）",
		"Refund":                             "退款",
		"You have no shop.":                  "您还没有店铺。",
		"Shop":                               "商城",
		"order_placed":                       "待支付",
		"order_paid":                         "已支付",
		"order_shipped":                      "已发货",
		"order_delivered":                    "已收货",
		"order_settled":                      "已结算",
		"order_cancelled":                    "已取消",
		"order_expired":                      "已过期",
		"order_refunded":                     "已退款",
		"part_fee":                           "平台服务费",
		"part_pledge":                        "公益捐赠",
		"part_producer":                      "生产农户经营收入",
		"Income":                             "收入",
		"Household income":                   "家庭收入",
		"exited poverty":                     "已脱贫",
		"Assessed":                           "评估于",
		"Not yet assessed for this year.":    "本年度尚未评估。",
		"Per-capita net income":              "人均纯收入",
		"yuan":                               "元",
		"Poverty line":                       "贫困线",
		"Monitoring line":                    "监测线（1.5倍）",
		"Net income":                         "家庭纯收入",
		"Per-capita income against the line": "人均纯收入与贫困线",
		"Monthly income by category":         "分月收入（按类别）",
		"Income by category":                 "收入构成",
		"Platform":                           "平台收入",
		"Declared (off-platform)":            "申报收入（平台外）",
		"Wage income":                        "工资性收入",
		"Net operating income":               "经营净收入",
		"Net property income":                "财产净收入",
		"Net transfer income":                "转移净收入",
		"Total":                              "合计",
		"Record survey income":               "录入调查收入",
		"Income received off the platform, from the annual household survey. Kept apart from platform income.": "来自年度入户调查的平台外收入，与平台收入分开记账。",
		"Category":                            "类别",
		"Amount (yuan)":                       "金额（元）",
		"Evidence":                            "依据",
		"survey form number, who recorded it": "调查表编号、录入人",
		"Record":                              "录入",
		"Status by year":                      "历年状态",
		"Poverty assessment":                  "贫困评估",
		"Eligible to exit":                    "符合摘帽条件",
		"Not yet eligible to exit":            "尚不符合摘帽条件",
		"Poverty incidence":                   "贫困发生率",
		"Poor persons":                        "贫困人口",
		"Rural population":                    "农村人口",
		"Assessed households":                 "已评估户数",
		"Trend":                               "历年趋势",
		"Run the assessment":                  "开展评估",
		"Computes every registered household's status from its income and indicators. Running again with the same data changes nothing.": "根据收入和“两不愁三保障”计算每户状态；数据不变时重复运行不会改变结果。",
		"Assess":  "评估",
		"people":  "人",
		"source":  "来源",
		"Save":    "保存",
		"changed": "变化",
		"Audits":  "抽查评估",
		"Audit":   "抽查",
		"Random samples of exited households (or of a province's exited counties), checked on the ground: wrong exits and missed households must stay below 2%, public approval above 90%.": "随机抽取已脱贫户（或全省已摘帽县）实地核查：错退率、漏评率须低于2%，群众认可度须高于90%。",
		"households":                 "农户",
		"counties":                   "县",
		"Draw a sample":              "抽取样本",
		"Kind":                       "类型",
		"County or province code":    "县或省代码",
		"Year":                       "年份",
		"Share (%)":                  "抽样比例（%）",
		"Seed (0: random, recorded)": "随机种子（0 表示随机并记录）",
		"Draw":                       "抽取",
		"Audit passed":               "抽查通过",
		"Audit not passed (yet)":     "抽查未通过（或未完成）",
		"Checked":                    "已核查",
		"Pending":                    "待核查",
		"Respondents":                "受访人数",
		"Sampled units":              "样本",
		"correct":                    "准确",
		"wrong_exit":                 "错退",
		"missed":                     "漏评",
		"note":                       "备注",
		"Public approval survey":     "群众认可度调查",
		"One answer per line: form number, yes or no, optional note": "每行一份：问卷编号, 是/否, 备注（可选）",
		"Record answers":    "录入答卷",
		"Income and status": "收入与脱贫状态",
	},
}

// addMessages merges a capability's Chinese phrases into the catalogue; call it
// from an init function in the capability's page file. A key translated twice
// differently is a programming error.
func addMessages(zh map[string]string) {
	for k, v := range zh {
		if old, ok := messages["zh"][k]; ok && old != v {
			panic("i18n: " + k + " translated twice: " + old + " / " + v)
		}
		messages["zh"][k] = v
	}
}

// lang picks the page language: the lang cookie, else Chinese.
func lang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "zh"
}

// translate returns the phrase in the language; English falls back to the key, and
// the few keys that are codes ("tagline") have English entries here.
func translate(lang, key string) string {
	if lang == "zh" {
		if v, ok := messages["zh"][key]; ok {
			return v
		}
		return key
	}
	switch key {
	case "Fishpond":
		return "Fishpond · Internet + poverty alleviation"
	case "tagline":
		return "Connecting farmers in poverty counties to the national market, and proving the income it brings, household by household"
	case "Language":
		return "中文"
	case "M":
		return "male"
	case "F":
		return "female"
	}
	if rest, ok := strings.CutPrefix(key, "order_"); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(key, "part_"); ok {
		return rest
	}
	if strings.Contains(key, "_") {
		return strings.ReplaceAll(key, "_", " ")
	}
	return key
}

func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.PathValue("lang")
	if l != "en" {
		l = "zh"
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	back := r.Referer()
	if u, err := parseURL(back); err == nil && u.Host == r.Host {
		http.Redirect(w, r, safeNext(u.RequestURI()), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
