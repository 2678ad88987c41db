"""The extractor's word tables: measure words and units, comparators, boundaries of names.

Everything the rules know about the language lives here as plain data, so a reviewer can read and extend it
without touching the scanning code. Units come first from data/vocab/units.yaml (its `aliases` are the
forms written in texts); the tables below only add measure words the vocabulary has no unit of its own for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..vocab import Vocab

# --------------------------------------------------------------------------------------------- numbers

#: Multipliers written after a number (3.5万, 2亿, 1.2千万). Longest first when matching.
MULTIPLIERS: dict[str, int] = {
    "万亿": 10**12, "千亿": 10**11, "百亿": 10**10, "千万": 10**7, "百万": 10**6,
    "亿": 10**8, "万": 10**4, "千": 10**3,
}

#: Chinese numeral characters (cn2an converts runs of them).
CN_DIGITS = "零〇一二两三四五六七八九"
CN_POWERS = "十百千万亿"
CN_NUMERAL_CHARS = CN_DIGITS + CN_POWERS

#: Separators of a range: 10-15个, 10～15个, 10至15个.
RANGE_SEPARATORS = "-~～—–至到"

#: Written just before a number, these make it something other than a quantity: an ordinal (第三),
#: a vague amount (数十, 几百, 上百, 成千), a weekday (星期一, 周二).
NOT_A_QUANTITY_BEFORE = ("第", "数", "几", "上", "星期", "周", "初", "每")
#: Written just after a Chinese numeral: a vague amount (十几个).
NOT_A_QUANTITY_AFTER = ("几",)

#: Fixed phrases whose numerals are not quantities (masked before scanning).
IDIOMS = (
    "千家万户", "千方百计", "万无一失", "万众一心", "千军万马", "千千万万", "成千上万", "万家灯火",
    "一心一意", "三心二意", "四面八方", "五湖四海", "七上八下", "十全十美", "百花齐放", "一五一十",
    "一干二净", "九牛一毛", "一举两得", "三番五次", "一年四季", "三三两两", "千载难逢", "百折不挠",
    "三次产业", "一二三产", "一二三次产业", "百年大计", "千年大计", "万物", "亿万", "万千", "百姓",
    "九九重阳", "五一", "十一黄金周", "七一", "八一", "六一", "三八",
)

#: Congress numbers (党的二十大) look like "N大" slogans (五大安全); these prefixes rule them out.
PARTY_CONGRESS_BEFORE = ("党的",)

# ----------------------------------------------------------------------------------------------- units

#: Measure words with no unit of their own in the vocabulary: counted as the generic item (个, unit `ge`)
#: with a note, as curators do (三篇大文章 → 3 个). `大` counts only after a Chinese numeral from 2 to 12
#: (三大结构, 十大场馆).
EXTRA_MEASURE_WORDS: dict[str, tuple[str, str]] = {
    "篇": ("ge", "量词：篇"), "种": ("ge", "量词：种"), "类": ("ge", "量词：类"),
    "支": ("ge", "量词：支"), "台": ("ge", "量词：台"), "辆": ("ge", "量词：辆"), "部": ("ge", "量词：部"),
    "栋": ("ge", "量词：栋"), "幢": ("ge", "量词：幢"), "块": ("ge", "量词：块"), "片": ("ge", "量词：片"),
    "只": ("ge", "量词：只"), "架": ("ge", "量词：架"), "艘": ("ge", "量词：艘"), "批": ("ge", "量词：批"),
    "位": ("person", "量词：位"), "床": ("zhang", "量词：床"), "㎡": ("m2", "单位：㎡"),
    "场": ("ge", "量词：场"),
    "km": ("km", "单位：km"), "元人民币": ("yuan", "单位：元人民币"), "人民币": ("yuan", "单位：人民币"),
}
SLOGAN_WORD = "大"
SLOGAN_RANGE = (2, 12)

#: Percentage points: counted as percent with a note unless the vocabulary gets a unit with these aliases.
PERCENT_POINT_FORMS = ("个百分点", "百分点")

#: Measurement units the vocabulary does not have (yet): numbers with them are skipped and reported, so
#: that a curator can add the unit to data/vocab/units.yaml.
KNOWN_UNKNOWN_UNITS = (
    "千瓦时", "万千瓦", "千瓦", "兆瓦", "吨标准煤", "吨", "公顷", "亩", "立方米", "公斤", "千克", "小时",
    "分钟", "个月", "倍", "架次", "标箱", "米", "千伏", "兆帕",
)

#: A measure word followed by one of these characters (or, for a tuple, these words) is part of another
#: word (家庭, 所有, 条件, 项目, 户外, 张家口 …).
UNIT_NOT_FOLLOWED_BY: dict[str, str | tuple[str, ...]] = {
    "家": "庭长乡园属具电居", "天": "然津空地下气", "所": "有以在属谓得长", "处": "理置于室长分罚级",
    "条": "件例款约理", "项": "目", "套": "餐路", "座": "谈位", "户": "口籍外型", "次": "要数序",
    "名": "单称牌片誉额义录", "个": "人体性税", "元": "旦素宵", "岁": "月", "人": "民员士才工",
    "间": "隔接断", "张": ("家口",), "件": "套", "日": "报常益本前后起", "场": "馆地所景合景站",
}
#: "日" is a date (1月8日) unless it is a time limit (30日内).
DAY_AS_DURATION_AFTER = ("内", "以内")
#: Units of time after which 内 means "within" (at most).
DURATION_UNITS = frozenset({"day", "working-day"})

#: Units whose numbers can be written with a bare multiplier (万名 = 10000 people) — counts, not money.
COUNT_UNITS = frozenset({"person", "hu", "ge", "jia", "suo", "tao", "zhang", "jian", "times", "tiao", "chu",
                         "xiang", "zuo", "jian-item"})

# ---------------------------------------------------------------------------------------- comparators

#: Bounds written just before the number (longest first when matching).
PREFIX_BOUNDS: dict[str, str] = {
    "不少于": "at-least", "不低于": "at-least", "不小于": "at-least", "至少": "at-least",
    "超过": "at-least", "突破": "at-least", "多于": "at-least", "高于": "at-least", "大于": "at-least",
    "逾": "at-least",
    "不超过": "at-most", "不高于": "at-most", "不多于": "at-most", "不大于": "at-most", "至多": "at-most",
    "最多": "at-most", "不到": "at-most", "不足": "at-most", "低于": "at-most", "少于": "at-most", "小于": "at-most", "控制在": "at-most",
    "大约": "approximately", "约为": "approximately", "约": "approximately", "将近": "approximately",
    "接近": "approximately", "近": "approximately",
}
#: A change (not a level) when the verb stands right before the number: 提高3.5%, 增长15%以上.
#: With 到/至 in between it is the level reached (提高到, 缩小至) and the comparator stays `exactly`.
CHANGE_VERBS: dict[str, str] = {
    "提高": "increase-by", "增长": "increase-by", "增加": "increase-by", "扩大": "increase-by",
    "提升": "increase-by", "上升": "increase-by", "上涨": "increase-by", "同比增": "increase-by",
    "增幅": "increase-by", "增速": "increase-by", "涨幅": "increase-by",
    "下降": "decrease-by", "减少": "decrease-by", "压减": "decrease-by", "降低": "decrease-by",
    "缩减": "decrease-by", "削减": "decrease-by", "同比减": "decrease-by", "降幅": "decrease-by",
}
#: May stand between a change verb and its number (增长了5%).
CHANGE_FILLERS = ("了", "")
#: Bounds written after the number and unit.
SUFFIX_BOUNDS: dict[str, str] = {
    "以上": "at-least", "以下": "at-most", "以内": "at-most", "之内": "at-most",
    "左右": "approximately", "上下": "approximately",
}
#: Written between the number and the unit: 100多个, 百余家 → at least.
MORE_THAN = ("多", "余")

# ----------------------------------------------------------------------------------------- structure

#: Sentence and clause delimiters.
SENTENCE_END = "。！？!?；;\n"
CLAUSE_END = SENTENCE_END + "，,"
#: Lines that are bylines or credits, never headings.
BYLINE_RE = re.compile(r"记者|通讯员|编辑|来源[:：]|摄影|本报讯|责任编辑|^[—－-]{1,2}")  # …and datelines (——2024年…)
#: Verbs (after optional adverbs) that open a measure: a sentence without numbers becomes a measure
#: when its first clause starts with one of these.
ADVERBS = ("进一步", "全面", "持续", "积极", "大力", "着力", "深入", "继续", "加快", "切实", "扎实", "不断",
           "全力", "努力", "重点", "有序", "稳步", "大幅", "加大", "有效", "统筹", "高标准", "高质量",
           "高水平", "主动", "坚决", "精准", "同时", "并", "要", "将", "全年", "今年", "力争")
ACTION_VERBS = ("推进", "推动", "实施", "建设", "新建", "改建", "扩建", "改造", "开展", "完善", "提升", "提高",
                "打造", "强化", "深化", "促进", "支持", "培育", "发展", "优化", "落实", "加强", "建立", "健全",
                "实现", "确保", "扩大", "组织", "举办", "启动", "筹建", "创建", "构建", "坚持", "发放", "配置",
                "配备", "安装", "设立", "组建", "提供", "建成", "完成", "新增", "增加", "引进", "招引", "培养",
                "吸引", "保障", "推广", "拓展", "整治", "治理", "保护", "免费", "为", "对", "改善", "降低",
                "减少", "控制", "压减", "调整", "缩小", "筹集", "解决", "开放", "布局", "规划", "抓好", "做好",
                "办好", "做强", "做大", "做优", "壮大", "引领", "加快", "全面", "持续")
#: A clause that starts like this continues the previous clause's measure (…7695亿元，同比增长4.5%).
CONTINUATION_RE = re.compile(r"(?:同比|比上年|较上年|比去年|分别|其中)?(?:" + "|".join(
    ["增长", "下降", "减少", "降低", "上升", "增速", "增幅", "降幅", "分别", "其中", "占比", "达到", "惠及",
     "覆盖", "涉及", "带动", "受益"]) + ")")
#: Headings of these sections hold headline indicators / a review of past work.
INDICATOR_HEADING_RE = re.compile(r"预期目标|主要指标|预期指标|(?:主要|发展)目标(?!任务)")
REVIEW_HEADING_RE = re.compile(r"回顾|过去一年|过去五年|工作总结|主要成绩|取得的成绩|成就")

# --------------------------------------------------------------------------------------- facilities

#: Facility suffixes beyond data/vocab/facility-types.yaml (the vocabulary's `suffixes` come first).
EXTRA_FACILITY_SUFFIXES: dict[str, str] = {
    "APP": "platform", "app": "platform", "热线": "platform", "客户端": "platform", "小程序": "platform",
    "卫生服务中心": "hospital", "体育公园": "park", "森林公园": "park", "湿地公园": "park",
    "图书馆": "library", "文化馆": "venue", "大剧院": "venue", "剧场": "venue", "会展中心": "venue",
    "水库": "lake", "高速公路": "road", "高速": "road", "大桥": "road", "隧道": "road",
}
#: Names known without a suffix pattern: the zones every Chinese city has.
FACILITY_LEXICON: dict[str, str] = {
    "自贸区": "industrial-park", "自由贸易试验区": "industrial-park", "综保区": "industrial-park",
    "综合保税区": "industrial-park", "保税区": "industrial-park", "高新区": "industrial-park",
    "经开区": "industrial-park", "经济技术开发区": "industrial-park", "高新技术产业开发区": "industrial-park",
}
#: Metro lines: 地铁1号线东延线, 2号线南延线, 十号线.
METRO_RE = re.compile(r"(?:地铁)?(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})号线(?:[东西南北]延(?:长)?线|延长线|延伸线|[一二三四]期)?")
#: A city hotline: 12345政务便民服务, 12345热线.
HOTLINE_RE = re.compile(r"12345(?:政务|便民|服务|热线|平台){2,4}|12345热线")
#: "A、B等<noun>": the listed items are instances of the noun's facility type (宝马X5、…等重大项目).
ETC_NOUNS: dict[str, str] = {
    "重大项目": "industrial-project", "重点项目": "industrial-project", "产业项目": "industrial-project",
    "重大产业项目": "industrial-project", "输变电工程": "power-facility", "变电站": "power-facility",
    "场馆": "venue", "重点场馆": "venue", "博物馆": "museum", "断头路": "road", "快速路": "road",
    "道路": "road", "主干路": "road", "公园": "park", "景区": "scenic-area", "河流": "river",
    "重点流域": "river", "流域": "river", "湖泊": "lake", "园区": "industrial-park", "平台": "platform",
    "医院": "hospital", "学校": "school", "高校": "school", "铁路": "railway",
}
#: Words that end the name on its left (verbs and function words before a name): 启动|浑南科技城.
NAME_BOUNDARY_WORDS = (
    "推进", "推动", "加快", "建设", "新建", "改建", "扩建", "筹建", "创建", "打造", "启动", "实施", "完成", "开展",
    "提升", "改造", "做强", "做大", "做优", "依托", "支持", "引进", "抓好", "打通", "参与", "积极", "全面",
    "加强", "完善", "规划", "谋划", "实现", "推广", "整治", "保护", "利用", "开放", "运营", "举办", "办好",
    "用好", "发挥", "争创", "申报", "建成", "落地", "开工", "投用", "竣工", "做好", "提高", "优化", "升级",
    "培育", "壮大", "发展", "引导", "鼓励", "强化", "深化", "促进", "带动", "围绕", "聚焦", "依靠", "通过",
    "以及", "新增", "配备", "安装", "加大", "面向", "落户", "入驻", "位于", "包括", "其中", "形成",
    "获批", "成功", "高标准", "高水平", "高质量", "持续", "深入", "大力", "着力", "力争", "确保", "有序",
    "外迁", "迁建", "扩容", "提质", "提档", "改扩建", "修缮", "保障", "一批", "一些", "多个", "各类", "各级",
    "维修", "养护", "修建", "铺设", "翻建", "修复", "新改建", "硬化", "拓宽", "贯通", "结合", "对接", "连接",
    "串联", "沿线", "周边", "毗邻", "邻近", "临近", "推介", "宣传", "申办", "承办", "主办", "创办", "开通",
    "治理", "改善", "共建", "共享", "建立", "实行", "开辟", "改进", "管理", "管护", "疏浚", "清淤", "编制",
    "修编", "恢复", "巩固", "拓展", "延伸", "加密", "畅通", "整合", "盘活", "激活", "新设", "设立", "设置",
    "组建", "成立", "投入", "运行", "使用", "上线", "启用", "开园", "开馆", "开业", "复建", "重建", "重修",
    "美化", "亮化", "关停", "搬迁", "拆除", "腾退", "修订", "出台", "制定", "研究", "论证", "谋求", "争取",
    "若干", "系列", "系统", "以", "在", "为", "对", "与", "及", "或", "的", "等", "是", "将", "把", "被", "从",
    "向", "到", "至", "由", "于", "并", "和",
)
#: Words right before a name that make it a kind, not a name (一批中小企业公共服务平台).
QUANTIFIER_BEFORE = ("一批", "一些", "多个", "各类", "各级", "若干", "系列", "多家", "每个", "各个", "全部",
                     "等", "所有", "一个", "一座", "一所", "一家", "一条")
#: Words that describe a kind of place. A name made only of these before its suffix is not a name
#: (城市公园, 公办学校, 产业技术研究院) and is left out.
GENERIC_MODIFIERS = (
    "城市", "城区", "农村", "城乡", "社区", "乡镇", "街道", "村级", "县级", "县域", "市级", "区级", "省级",
    "国家级", "国家", "公办", "民办", "公共", "老旧", "新型", "大型", "中型", "小型", "重点", "重大", "综合",
    "公立", "基层", "示范", "特色", "现代", "现代化", "智慧", "数字", "口袋", "体育", "文化", "主题", "郊野",
    "休闲", "城中", "出口", "断头", "快速", "背街", "农贸", "停车", "产业", "技术", "科技", "创新", "研发",
    "服务", "信息", "工业", "企业", "中小企业", "中小微企业", "专业", "职业", "高等", "义务教育", "全民",
    "健身", "养老", "医疗", "卫生", "教育", "旅游", "生态", "湿地", "森林", "滨水", "滨河", "沿河", "绿色",
    "低碳", "高端", "新兴", "未来", "海外", "国际", "区域", "区域性", "各类", "各级", "市属", "一流", "同类",
    "相关", "其他", "原有", "现有", "新", "老", "大", "小", "中", "各", "本地", "外地", "周边", "配套",
)
#: Kinds of place that look like names (they end in a facility suffix) but are not.
GENERIC_NAMES = (
    "口袋公园", "城市公园", "社区公园", "体育公园", "郊野公园", "主题公园", "湿地公园", "城市书房", "城市书屋",
    "农家书屋", "社区书屋", "体育场馆", "文化场馆", "公共场馆", "公交线路", "线路", "道路", "公路", "马路",
    "思路", "出路", "新路", "老路", "网路", "水路", "铁路", "快速路", "断头路", "出口路", "主干路", "次干路",
    "支路", "背街", "商业街", "步行街", "美食街", "特色街", "老街", "中小学", "小学", "中学", "大学",
    "学校", "幼儿园", "医院", "卫生院", "运河", "江河", "护城河", "内河", "界河", "河湖", "湖泊", "广场",
    "文化广场", "城市广场", "园区", "产业园区", "基地", "平台", "云平台", "研发平台", "实验室", "重点实验室",
    "研究院", "研究中心", "博物馆", "美术馆", "纪念馆", "图书馆", "书房", "书屋", "景区", "度假区", "古城",
    "高铁", "城际", "湿地", "公园", "会堂", "场馆", "剧院", "体育场", "体育馆", "产业园", "科技园", "科技城",
    "融合园", "大道", "大街", "热线", "高速公路", "高速", "大桥", "隧道", "水库", "变电站", "电厂",
    "一带一路",
)
#: A facility suffix followed by these characters is part of a longer common word (街道, 路网, 河湖长制).
SUFFIX_NOT_FOLLOWED_BY: dict[str, str] = {
    "路": "网线径况面灯口段演费子由", "街": "道巷区角边心头景路乡镇办小",
    "河": "道湖长流段岸口北南西东省市县区", "江": "湖河山省市县区苏西东南北", "湖": "泊区南北省市县", "平台": "经化型", "基地": "址", "公园": "城里绿化", "广场": "舞",
    "大道": "理", "高速": "度发增", "高铁": "站", "园区": "化", "城际": "间",
}
#: Name suffixes that may follow a single character (浑河, 蒲河, 太湖); others need two (太白山路).
ONE_CHAR_PREFIX_SUFFIXES = frozenset({"河", "江", "湖"})
#: Road names may carry an extension: 长青街南延线.
ROAD_EXTENSION_RE = re.compile(r"[东西南北]延(?:长)?线|延长线|[一二三四]期")

# ------------------------------------------------------------------------------------------ districts

#: Short forms that are also ordinary words (和平发展, 大东北, 新民主主义, 辽中南): only taken when written
#: as a place (followed by 区/县/市, in a list with 、, or opening a facility name).
AMBIGUOUS_SHORT_FORMS = frozenset({"和平", "大东", "新民", "辽中", "康平", "长安", "新城", "开发", "高新",
                                   "城关", "中山", "人民", "解放", "新华", "胜利", "东风", "红旗", "朝阳"})


@dataclass(frozen=True)
class UnitForm:
    written: str
    unit: str
    note: str | None


@dataclass(frozen=True)
class UnitTable:
    """Written unit forms of one vocabulary, matched longest first at a position in the text."""

    forms: dict[str, UnitForm]
    regex: re.Pattern
    unknown_regex: re.Pattern

    def match(self, text: str, pos: int) -> UnitForm | None:
        m = self.regex.match(text, pos)
        if not m:
            return None
        form = self.forms[m.group()]
        stop = UNIT_NOT_FOLLOWED_BY.get(form.written)
        if stop and text.startswith(tuple(stop), m.end()):
            return None
        return form


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_TABLES: dict[int, tuple[Vocab, UnitTable]] = {}


def unit_table(vocab: Vocab) -> UnitTable:
    """Every written unit form: the vocabulary's aliases, then the extra measure words (cached per vocab)."""
    hit = _TABLES.get(id(vocab))
    if hit is not None and hit[0] is vocab:
        return hit[1]
    table = _unit_table(vocab)
    _TABLES[id(vocab)] = (vocab, table)
    return table


def _unit_table(vocab: Vocab) -> UnitTable:
    forms: dict[str, UnitForm] = {}
    for key, unit in vocab.units.items():
        for alias in (*unit.aliases, unit.zh):
            if alias and alias not in forms:
                forms[alias] = UnitForm(alias, key, None)
    for written, (key, note) in EXTRA_MEASURE_WORDS.items():
        if written not in forms and key in vocab.units:
            forms[written] = UnitForm(written, key, note)
    for written in PERCENT_POINT_FORMS:
        if written not in forms and "percent" in vocab.units:
            forms[written] = UnitForm(written, "percent", "百分点 (percentage points): check the unit")
    if SLOGAN_WORD not in forms and "ge" in vocab.units:
        forms[SLOGAN_WORD] = UnitForm(SLOGAN_WORD, "ge", None)
    # zh names that are descriptions rather than written forms (元每人每月, 百分比) stay harmless: they are
    # matched only right after a number.
    regex = re.compile(_alternation(forms))
    unknown = re.compile(_alternation(u for u in KNOWN_UNKNOWN_UNITS if u not in forms))
    return UnitTable(forms, regex, unknown)
