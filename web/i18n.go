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
		"Demo accounts":      "演示账号",
		"admin":              "管理员",
		"fund_admin":         "基金管理员",
		"county_officer":     "县级干部",
		"coop_manager":       "合作社负责人",
		"household":          "农户",
		"consumer":           "消费者",
		"partner":            "合作机构",
		"auditor":            "审计员",
		"Language":           "English",
		"Signed in as":       "当前用户",
		"Import into county": "导入到县",
		"Rows":               "行",
		"Choose a file":      "选择文件",
		"Importing…":         "正在导入…",
		"Members total":      "成员总数",
	},
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
