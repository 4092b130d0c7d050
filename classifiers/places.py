"""Where a report says its problem is: building, unit, flat, gate, road, part of the compound,
neighbour; and whether two reports' places can be one.

Residents name places in many ways (3号楼, 三栋, 3幢, 3#, Cantonese 九座, 17-2电梯, 楼梯间 for
the 楼道); each is read into one form here, so that two reports of one problem agree and two
of different places do not.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from classifiers.normalize import chinese_number, normalise, unify_places

_BUILDING = re.compile(r"(\d{1,3}|[A-H])栋")
# A building word and its number (握手楼3号, 8号宿舍, 老公房5号) is a building, not a flat.
_KINDS_OF_BUILDING = "握手楼|老公房|公房|筒子楼|宿舍楼|宿舍|住宅楼|公寓楼|公寓"
_NUMBER_AFTER = re.compile(rf"({_KINDS_OF_BUILDING})\s*(\d{{1,3}})号(?![铺车摊])")
_NUMBER_BEFORE = re.compile(rf"(?<!\d)(\d{{1,3}})号({_KINDS_OF_BUILDING})")
# Towers by letter: A座, b栋, C幢 are buildings A, B and C (not B1 or C区).
_LETTERED = re.compile(r"(?<![A-Za-z])([A-Ha-h])\s*(?:座|栋|幢|号楼)")
# "17-2" is building 17, unit 2 where a part of the building follows ("17-2电梯", "15-3楼梯间"),
# not a range ("1-2楼", "3-5天") or a score ("2-1"). The classifier does not need it.
_BUILDING_UNIT = re.compile(
    r"(?<![\d.\-:/])(\d{1,2})-(\d)(?:\s*单元|(?=\s*的?\s*(?:电梯|电题|升降机|楼道|楼梯|防盗门|大门|"
    r"单元门|门禁|门口|楼下|楼顶|顶楼|1楼|2楼|天台|水管|有人|那|这|住)))"
)
# … and so is "27-2" before any other word, unless a count, a time, a floor or a score follows
# (3-5天, 1-2楼, 8-10点, 2-1赢了).
_DASHED_UNIT = re.compile(
    r"(?<![\d.\-:/A-Za-z])(\d{1,2})-(\d)(?![\d.:/\-~]|\s*(?:[天个点楼层号月年日元块万次人岁米斤分周期只辆"
    r"栋幢座级度倍成折条家户位里千百十组名份台套张把件种赢输平胜负]|小时|公里|分钟|[A-Za-z%]))"
    r"(?=\s*[\u4e00-\u9fff])"
)
# What follows a 门 that is a door or its parts, not a numbered entrance (3门禁, 西边门面).
_NOT_ENTRANCE = "禁铃锁卫面框把口"
# Cantonese 九座 is building 9; 叁 is 三 written as on a cheque.
_NUMERAL = r"\d一二三四五六七八九十"  # a number as residents write it, before normalising
_SEAT = re.compile(rf"(?<![{_NUMERAL}两])([{_NUMERAL}]{{1,3}})座(?![桥山城])")
_CHEQUE_DIGITS = "壹贰叁肆伍陆柒捌玖拾"
_CHEQUE = str.maketrans(_CHEQUE_DIGITS, "一二三四五六七八九十")
# … only where they number something: 收拾 and 拾到 keep their 拾.
_CHEQUE_NUMBER = re.compile(
    rf"(?<![收{_CHEQUE_DIGITS}])[{_CHEQUE_DIGITS}]{{1,4}}(?=\s*(?:栋|号|座|幢|楼|单元|层|室|组|巷))"
)
# A flat read out digit by digit: 七零二 is 702, 一二零一 1201.
_SPOKEN_ROOM = re.compile(
    r"[一二三四五六七八九][一二三四五六七八九零〇]?[零〇][一二三四五六七八九]"
)
# A neighbour named by surname and how one calls them (刘婆婆, 陈大爷, 老李家): two reports naming
# different neighbours are about two households.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
_PERSON = re.compile(
    rf"(?:老|小)?([{_SURNAMES}])(?:婆婆|奶奶|爷爷|大爷|阿姨|大妈|叔叔|伯伯|嬢嬢|孃孃|婶婶|大哥|大姐|"
    rf"大叔|师傅|老师|叔|伯|姐|哥|婶|姨|婆)|(?<![冒飞跳涨长堆蹿翘肿])老([{_SURNAMES}])(?=家|头|两口子|[^\u4e00-\u9fff]|$)"
    # a household by its surname (林家出租屋, 黄家在加层), not 石家庄 or 交钱家里
    rf"|(?<![我你他她大人谁哪自全咱各老小])([{_SURNAMES}])家(?![庄坝湾村园属里长具电私人乡])"
)
# A floor named: 十二楼 and 12层 are the floor of flat 1202; B1, 负2楼 are below ground.
# In the north 26楼 is also building 26 where its entrance follows (26楼1门) or its surroundings
# (25楼那片儿), not a floor; 5楼东边那户 stays a floor.
_NUMBERED_LOU = r"(?<![\d负Bb\-])(\d{1,2})楼"  # 26楼, not B2楼 or 3-5楼
_FLOOR_AS_BUILDING = re.compile(
    rf"{_NUMBERED_LOU}(?=\s*(?:[{_NUMERAL}]{{1,2}}门(?![{_NOT_ENTRANCE}])|那片))"
)
# … and where no building is named, a 楼 with what lies around a building (37楼边上, 29楼后身,
# 36楼那排车库): a floor has no surroundings, nor garages or sheds of its own.
_FLOOR_WITH_SURROUNDINGS = re.compile(
    _NUMBERED_LOU + r"(?=\s*(?:边上|旁边|跟前|附近|底下|后身|后边|后面|后头|前边|前面"
    r"|前头|前那|前的|门前|门口|楼门|那块|那边|那排|那趟|车库|仓房|房檐|房顶|垃圾"
    r"|(?:那个?|的)(?:垃圾|车库|仓房|小?花园)))"
)
# … nor a count of floors (顶上两层, 差一层, 往下走一层)
_FLOOR = re.compile(  # not a layer of ice or dust (冻一层冰, 一层灰)
    r"(?<![\d负Bb\-隔差高矮多少])(?<!地下)(?<!地下室)(?<!顶上)(\d{1,2})(?:楼|层(?![冰灰皮土油膜雪霜泥]))(?![道梯顶下上房])"
)
# Where the reporter lives (我家就住, 我住在, 俺家), before a flat or a floor.
_MINE = r"(?:我家|我们家|俺家|我|俺)(?:就|也)?(?:住(?:在)?|是)?"
# Where a lift stops or a resident climbs or walks to (卡在5楼, 按不了8楼, 爬了7层, 往下走一层)
# is no place of the problem: the lift of 3栋2单元 is one lift at every floor.
_LIFT_STOP = re.compile(
    r"(?:按不了|按不到|到不了|按|卡在|卡到|坐到|困在|关在|只能到|爬到|爬了|爬上|爬)"
    r"\s*(\d{1,2})(?:楼|层)"
)
_WALKED = re.compile(r"(?<![偷拿搬拖抢带银])(?:走了?|行)\s*(\d{1,2})层")  # 往下走一层, 行六层
# Two buildings named together (11 12栋中间, 13、14号楼中间) are both named.
_BUILDING_LIST = re.compile(
    rf"(?<![\d.\-:/+{_NUMERAL}期月周拜点号])([{_NUMERAL}]{{1,3}})\s*(?:号\s*[、和跟与及]?|[、和跟与及])"
    r"\s*(?=\d{1,3}栋)"
    r"|(?:^|(?<=[\s，。,！!？?]))(\d{1,2}) (?=\d{1,2}栋)"  # spoken: 11 12栋
)
# … and, where no building is named, two numbers with what lies between them (12和13楼中间,
# 8号9号中间, 22 23中间).
_BETWEEN = re.compile(
    r"(?<![\d.\-:/])(\d{1,2})\s*(?:号|楼)?\s*(?:[、和跟与及]\s*)?(\d{1,2})\s*(?:号|楼)?"
    r"(?=\s*(?:中间|之间|夹道))"
)
# Two buildings side by side in one breath (六七栋之间) are both named; 两栋 is a count.
_PAIR_OF_BUILDINGS = re.compile(
    r"(?<![一二三四五六七八九十])([一二三四五六七八九])([二三四五六七八九])(?:[号號][楼樓]|[栋棟幢])"
)
_COUNT_OF_BUILDINGS = re.compile(r"[两兩](?:[栋棟幢]|[号號][楼樓])")  # in either script
# A gate by its side (西边小门, 北面大门) is that side's gate.
_SIDE_GATE = re.compile(r"([东南西北])(?:边|面|侧)(?:的)?(?:小|大)?门(?![禁铃锁卫面框把])")
# Words for the floors above or below (楼上漏水下来, 四楼以上没水), and the reporter's own floor
# (我住18楼, 我家8楼): where they are, not where a problem of the whole building is.
_OWN_FLOOR = re.compile(
    rf"(?:{_MINE}(?:的)?|(?<=[栋号])住(?:在)?)\s*(\d{{1,2}})(?:楼|层)(?!的?(?:那|老|人|住户|邻居))"
)
_ONWARD = "[楼层](?:以上|以下|往上)"  # 四楼以上, 三楼往上
_ACROSS_FLOORS = re.compile(
    rf"楼上|(?<![往向朝])楼下|往下|{_ONWARD}|上层|下层|{_OWN_FLOOR.pattern}"
)
_FLOOR_RANGE = re.compile(_ONWARD + r"|\d{1,2}[楼层]?\s*[到至~\-]\s*\d{1,2}[楼层]")
_BASEMENT = re.compile(
    r"(?:负|(?<![A-Za-z])[Bb])(\d)(?![\d.])|负([一二三])(?=\s*(?:[层楼]|车库|地库|停车|电梯|那|的?[A-Z]区))"
    r"|地下室?([\d一二三])(?=\s*[层楼])"
)  # 负一, B1 and 地下一层 are one floor; not 负三度 or 欺负一个
# A numbered lane of a village or old town (一巷, 4巷): two lanes are two places.
_LANE = re.compile(rf"(?<![{_NUMERAL}])([{_NUMERAL}]{{1,2}})巷")
# … Shanghai's numbered lanes (47弄) and Beijing's numbered hutongs (三条, 西四北四条口), not
# three of anything (三条狗, 第三条)
_LONG = re.compile(r"(?<![\d])(\d{1,4})弄(?![了得好完坏脏个])")  # not 1203弄得好吵
_TIAO = re.compile(
    rf"(?<![{_NUMERAL}两几好每这那哪第有买了])([{_NUMERAL}]{{1,2}})条"
    r"(?=[东西南北]?口|路口|公厕|胡同|那|的|里|\d)"
)
_UNIT = re.compile(r"(\d{1,2}|(?<![A-Za-z])[A-Ha-h])\s*单元")  # 3单元, A单元
# In the north a building's entrance is its unit: 5号楼3门 and 14号二门 are unit 3 and unit 2.
_NUMBER_OF_UNIT = re.compile(  # 14号2单元 and 十二号二单元 are building 14 and 12
    rf"(?<![\d.{_NUMERAL}])([{_NUMERAL}]{{1,3}})号(?=\s*\d{{1,2}}单元)"
)
# Units written short: 9B, 3-B and 14栋B座 are building 9, 3 or 14, unit B (not 5A级, 3D打印);
# 6#1门 is building 6, entrance 1.
_SHORT_UNIT = re.compile(
    r"(?<![A-Za-z\d.\-:/#])(\d{1,2})-?([A-EGHa-egh])"
    r"(?![A-Za-z]|\d(?!\d?[楼层])|\s*(?:座|栋|幢|单元|号|级|景|区|口|出口|型|超|打印|电影))"
)
_WING = re.compile(r"(\d{1,3})栋\s*([A-Ha-h])座")  # 14栋B座
_STOREY_F = re.compile(r"(?<![A-Za-z\d])(\d{1,2})[Ff](?![A-Za-z\d])")  # 15F is the 15th floor
_HASH_ENTRANCE = re.compile(rf"(\d{{1,3}})#([{_NUMERAL}]{{1,2}})(?=门|单元)")
# A tower and floor written short (a24, F16, d17楼梯间): tower A, the 24th floor; not B1 or B2,
# floors below ground.
_TOWER_FLOOR = re.compile(
    r"(?<![A-Za-z\d])([A-Ha-h])(\d{1,2})(?:楼|层)?(?![\d.\-]|\s*(?:出口|口|号|区|栋|座|幢|单元|[A-Za-z]))"
)
# A house by its number, where what lies at a house follows (32号院, 23号厝, 9号顶楼, 杨桥七号后面):
# the courtyards and houses of old lanes and villages are their buildings.
_HOUSE = re.compile(
    rf"(?<![{_NUMERAL}几月第])([{_NUMERAL}]{{1,3}})号(?=院|厝|楼顶|顶楼|顶上|天台|房顶|屋顶|楼下|楼梯|电梯|后身"
    r"|后边|后面|后头|前面|前边|前头|门前|旁边|边上|跟前|那家|那户|那栋|那间|亭子间|晒台|\d楼(?!\d))"
)
# "最后一栋", "这一栋" say which building, not building 1.
_WHICH_ONE = re.compile(r"(?<=[最后这那哪每整同])一(?=[栋幢])")
# 廿 and 卅 count twenty and thirty (廿一号, 卅号).
_OLD_TENS = re.compile(r"([廿卅])(?=[一二三四五六七八九号栋楼])")
_ENTRANCE = re.compile(rf"(?<=[栋号])\s*([{_NUMERAL}]{{1,2}})门(?![{_NOT_ENTRANCE}])")
_ROOM = re.compile(r"\d{3,4}室")
_ROOMS = re.compile(
    r"(?<![\d.\-:/])(\d{3,4})(?![\d.]|\s*(?:年|元|块|米|号线|路|弄(?![了得好完坏脏个])|条(?!件)|次|个|分|点|天(?!天)|斤|平|克|公里|万|多|人|岁|毫|厘|[a-zA-Z%]))"
)
_NOT_ROOMS = frozenset({"110", "119", "120", "122", "114", "315"})  # numbers one calls
_LIFT_CAR = re.compile(r"(?<![A-Za-z])([A-Za-z客货])梯")  # 4座B梯 is not the A梯, 客梯 no 货梯
_FLAT_OF = re.compile(r"栋\s*(\d{3,4})[个嘅]")  # Cantonese 6座2508个冷气机: the flat's, not a count
# The reporter's own flat, where the report names another as the source (楼上602吵, 我家就住502).
_HOME = re.compile(rf"{_MINE}\s*(?:[\dA-Z]{{1,3}}栋\s*)?(?:[\dA-Z]单元\s*)?(\d{{3,4}})(?!\d)")
_UPSTAIRS = re.compile(r"楼上(?!楼下|的?(?:天台|楼道|平台|顶))")
_DOWNSTAIRS = re.compile(r"楼下(?:那家|那户|邻居|住户|的人家)")
# A shop opened in a flat (在家开麻将馆) is what a household does, not where it is.
_BUSINESSES = frozenset(
    {"麻将馆", "茶馆", "奶茶店", "烧烤店", "火锅店", "理发店", "便利店", "药店"}
)
_OPENS = re.compile(
    r"(?:在家|家里|屋里|屋头|家中)(?:里|头)?开(?:了|起|起了)?(?:个|家|间|一个|一家)?$"
)
_GATE = re.compile(
    r"[东南西北]{1,2}[大小]?门(?![禁铃锁卫面框把])|[A-Za-z甲乙丙丁]区|[一二三四五六七八九\d]期"
    r"|(?<!\d)\d{1,2}号门(?![禁铃锁卫面框把])"  # a compound's numbered gate
    # front and back gates and blocks (后门, 前楼)
    r"|[前后正侧]门(?![禁铃锁卫面框把])|(?<![以最之然])[前后]楼(?![道梯顶下上房层主长里])"
)
# A metro station's or a market's exits by letter: the A出口 (A口) is not the D出口.
_EXIT = re.compile(r"(?<![A-Za-z\-])([A-Za-z]\d?)(?:出口|出入口|口)(?![罩红袋号径])")
# Parts of a compound: two reports naming different ones are about different spots. Each is
# read as one name whatever the wording (楼梯间 is the 楼道, 地库 the 车库, 屋顶 the 天台).
_AREAS = {
    "楼道": "楼道|楼梯间|楼梯口|走廊|过道",
    # a garage or car park, and where it is told, the one underground or the one in the open
    "车库": "停车场|车库|停车库",
    "地下车库": "地下车库|地下停车场|地下停车库|地库",
    "露天停车场": "露天停车场|地面停车场|地上停车场",
    "地下室": "地下室|储藏室",
    "泵房": "水泵房|泵房",
    "电梯井": "电梯井",
    "天台": "天台|楼顶|屋顶|顶楼|顶层|房顶",
    "大堂": "大堂|大厅",
    "车棚": "车棚|自行车棚|电动车棚",
    "电梯间": "电梯间|电梯厅",
    "花园": "花园|中心花园",
    "广场": "广场",
    "菜市场": "菜市场|菜场|农贸市场|市场|街市",
    "公交站": "公交站|公交车站|站台|电车站|有轨电车站|候车亭",
    "路口": "路口|十字路口",
    "天桥": "天桥|人行天桥|桥下|桥底",
    "公园": "公园",
    "学校": "学校",
    "小学": "小学",
    "中学": "中学",
    "幼儿园": "幼儿园",
    "医院": "医院",
    "超市": "超市",
    # shops by their trade: the 药店 below B座 is not its 便利店
    "药店": "药店|药房|大药房",
    "奶茶店": "奶茶店",
    "烧烤店": "烧烤店|烧烤摊|烧烤档",
    "火锅店": "火锅店",
    "理发店": "理发店|理发馆|发廊",
    "麻将馆": "麻将馆|棋牌室",
    "茶馆": "茶馆|茶楼|茶室|茶铺",
    "便利店": "便利店",
    "会所": "会所",
    "儿童乐园": "儿童乐园|游乐区|游乐场|儿童游乐",
    "球场": "篮球场|球场|羽毛球场",
    "网球场": "网球场",
    "足球场": "足球场",
    "泳池": "泳池|游泳池",
    "客运站": "客运站|汽车站",  # not any 车站: by a gate, that is the bus stop
    "地铁站": "地铁站|轻轨站|地铁口|轻轨口",
    "俱乐部": "俱乐部|活动室|老年活动中心",
    "澡堂": "澡堂|浴池|澡堂子",
    "健身房": "健身房",
    "洗衣房": "洗衣房",
    "驿站": "驿站|快递站|菜鸟驿站",
    "集市": "集市|赶集",
    "卫生院": "卫生院|卫生室|卫生站|卫生所|医务室",
    "码头": "码头",
    "邮局": "邮局|邮政所|邮政局",
    "锅炉房": "锅炉房",
    "夜市": "夜市",
    "加油站": "加油站",
    # offices and landmarks of a compound or village
    "村委会": "村委会|村委|村部|居委会|居委",
    "门卫室": "门卫室|门卫亭|保安亭|岗亭|传达室",
    "观景台": "观景台|观海台",
    "祠堂": "祠堂|宗祠",
    # a village's landmarks
    "村口": "村口|进村口|村头",
    "村尾": "村尾|村子尾",
    "后山": "后山|山上|山坡",
    "河边": "河边|河沟边|河堤|河坎|河岸|河沿",
    "桥头": "桥头|桥边",
    "晒坝": "晒坝|晒场|晒谷场",
}
# Kinds of one part: a 小学 is a 学校, and not the 中学; the garage underground is not the car
# park in the open.
_KIND_OF = {
    "小学": "学校",
    "中学": "学校",
    "幼儿园": "学校",
    "地下车库": "车库",
    "露天停车场": "车库",
}
_LANDMARKS = frozenset(
    {"村口", "村尾", "后山", "河边", "桥头", "晒坝"}
)  # a village's, not a compound's
# Parts of a grid outside any building.
_OUTDOORS = (
    frozenset({"花园", "广场", "菜市场", "公交站", "路口", "天桥", "公园", "学校", "医院", "超市"})
    | frozenset({"儿童乐园", "球场", "客运站", "集市", "卫生院", "码头", "夜市", "加油站", "邮局"})
    | frozenset({"地铁站", "网球场", "足球场", "村委会", "门卫室", "观景台", "祠堂"})
    | frozenset({"小学", "中学", "幼儿园", "露天停车场"})
    | _LANDMARKS
)
_INDOORS = frozenset(_AREAS) - _OUTDOORS  # parts of a building
_BUILDING_PARTS = frozenset({"楼道", "大堂", "电梯间", "天台", "地下室", "电梯井", "泵房"})
_AREA_NAME = {variant: name for name, variants in _AREAS.items() for variant in variants.split("|")}
_AREA = re.compile(  # 广场舞 is a dance, not the square
    "(?:" + "|".join(sorted(map(re.escape, _AREA_NAME), key=len, reverse=True)) + ")(?!舞)"
)
# A road's name (人民路, 花园街), not 路灯 or 路面, and not "门口的路".
# Words before a name that are no part of it (进人民路, 住滨江路, 把路堵了) are left out of it.
# Characters of words around a name, never of the name (走不动路, 离和平街不远, 烟大得路上).
_NOT_NAME = (
    "的了在是这那个有我你他她们跟与就都也不得着见被把让给又要最请问求离下看压停堆满晒倒落飘封炸雨夜孩些细近一"
    "说听谁知刚才再开始展关于希望谢祝喊买什么跑转自网格员报经搞清理弃穿接位壁年农旧冒充"
    "泼洒扔丢吐溅淌往"  # 刷锅水全泼路上, 黑烟往新村飘
)
_ROAD_NOT_NAME = "门口路街巷进住面沿经往从过去来靠兜班半组条段头外到摆占堵挡走爬修挖短线照区车行道"
_NAME_CHAR = rf"[^\W\d_{_NOT_NAME}{_ROAD_NOT_NAME}]"
_ROAD = re.compile(
    _NAME_CHAR + r"{2,3}(?:路|街|巷|大道|胡同)(?![灯面口牌况线]|(?<=街)市)"
    r"|沿[江河湖海溪山](?:东|西|南|北)?(?:路|街|大道)"  # 沿江路 is a name, 沿着人民路 not
)
# A shop by its keeper's name (老王烧烤, 李记串串): two shops are two places.
_SHOP = re.compile(
    rf"(?:老|小)?[{_SURNAMES}](?:记|家|姐|哥|嫂)?"
    r"(?:烧烤|串串|火锅|饭店|餐馆|面馆|小吃|超市|便利店|小卖部|药店|理发店|五金店|水果店|麻将馆|茶馆|棋牌室)"
)
# A market by name (墩子塘菜场 is the 墩子塘菜市场), not 农贸市场 or 小区菜场.
# A market on a named road is named by its road.
_MARKET = re.compile(
    r"(?!农贸|批发|综合|集贸|附近|小区|社区|旁边|街道|对面|门口|这个|那个|前面|后面|小商品|商品)"
    rf"([^\W\d_{_NOT_NAME}{_ROAD_NOT_NAME}全整本隔壁对面旁边里今昨明天早晚上下午点小]{{2,3}})"
    r"(?:菜市场|菜场|市场|街市)"
)
# A housing estate or village by name (锦华苑, 阳光小区, 杨柳村, 咸安坊, 烟厂家属院), not "我们小区"
# or "进村"; a village's entrance names it (江汉村口 is the 江汉村's, as 江汉村进口 is).
_ESTATE_NAME_CHAR = (
    rf"[^\W\d_{_NOT_NAME}门口路街巷进出到全整本隔壁对面旁边里去来住今昨明天早晚上下午点前荐"
    "{more}]"
)
_ESTATE = re.compile(
    _ESTATE_NAME_CHAR.format(more="")
    + r"{2,3}(?:苑|家园|小区|新村|村|公寓|大厦|家属院|家属区|大院|厂|(?<![作磨染油酒粉工腐])坊)"
    r"(?![委民里口头道边子])"
)
_VILLAGE_ENTRANCE = re.compile(
    r"(?:^|(?<=[\s，。,！!？?在到去从]))"
    # … and no verb or 老家 before it (注意村口, 老家村口)
    "(" + _ESTATE_NAME_CHAR.format(more="注意小心放堵停挡老家") + r"{2,3}村)(?=[口头])"
)
# A mountain village's hamlets (上寨, 王家寨, 岩脚屯) and a town's old streets (老街, 新街).
_HAMLET = re.compile(
    rf"(?:[上下中东西南北前后大小新老]|[^\W\d_{_NOT_NAME}门口路街巷进出到全整本里去来住]{{2,3}})[寨屯]"
    r"(?![子里上头])"
)
# An old town's lanes by name (广兴里, 积厚里), before what a lane has: 积厚里过道, 广兴里公厕;
# not 小区里, 院子里 or 胡同里 ("in").
_LI = re.compile(
    rf"([^\W\d_{_NOT_NAME}区院楼村家屋城场园店厂门口路街巷里内同胡所厕库房舍室间站池堂廊道梯棚]{{2}})里"
    r"(?=过道|外廊|公共|电表|[东西南北]?院|大门|门口|弄堂|公厕|厕所)"
)
_OLD_STREET = re.compile(
    r"(?<![\w])[老新正东西南北前后]街(?![道坊])|(?<=[那这在去到从是跟和与])[老新正前后]街"
)
# A lane or street named after a gate (水门巷, 东门街, 朝阳门大街), not 大门路边 or 后门路口.
_GATE_ROAD = re.compile(
    rf"{_NAME_CHAR}{{1,2}}(?<![大小前后正侧边出串回进])门(?:巷|大街|街|路)(?![灯面口牌况线市上])"
)
# A bridge by name (老石桥, 新桥, 九曲桥), not any flyover or footbridge.
_BRIDGE = re.compile(
    rf"(?:[^\W\d_{_NOT_NAME}{_ROAD_NOT_NAME}号桥座拆建]{{1,2}}|[老新])[石木铁]?桥(?=[下头边底那上旁墩洞的口两\s]|$)"
)
_NOT_BRIDGES = re.compile(r"(?:天|立交|高架|人行|过街|便|浮|吊)桥$|^[小大][石木铁]?桥$")
# A school or hospital by name (九曲小学, 县人民医院), not "孩子的小学" or 社区医院.
_INSTITUTION = re.compile(
    rf"[^\W\d_{_NOT_NAME}{_ROAD_NOT_NAME}隔壁对面旁附读送念上今昨明天早晚午点次时候每完病放]{{2,4}}"
    r"(?:小学|中学|幼儿园|医院)"
)
# A road named at its crossing ("建设路口"), not a crossing that is no road's name.
_CROSSING = re.compile("(" + _NAME_CHAR + r"{2,3}(?:[路街巷]|胡同))口")
# Words for a road that name none ("那条小路", "过马路", "把路堵了", "村口那段水泥路").
_NOT_ROAD = re.compile(
    r"[把条段头外过到往摆占堵走去从来爬修挖旁]|(?:马|小|大|土|水泥|柏油|石子|泥巴|公)(?:[路街巷]|胡同)$"
    r"|(?:迷|上|带|让|问|绕|找|认|顺|开|半|赶|出|退|引|指|抄|铺)路$"
)
_NOT_ROADS = frozenset({"十字路", "丁字路", "三岔路"})
# A place one goes round by or measures from is not where the problem is (西门门禁坏了，只能绕到
# 东门进; 胜利街有根管子冒水，离和平街不远).
_ASIDE = re.compile(
    r"(?:绕到|绕去|绕道|绕行|绕|改走|只能走|只能从|得从|要从|离|不是)$"
)  # 4 chars at most
# A village's groups (三组, 5组) are its buildings.
_GROUP = re.compile(
    rf"(?<![{_NUMERAL}两零〇])([{_NUMERAL}两零〇]{{1,3}})(?:组|社(?![区保会团工员交联共一]))"
)  # … or 社 in the south (一社23号)
# Rows of single-storey houses (三排五号): a row is as a building.
_ROW = re.compile(
    rf"(?<![{_NUMERAL}两零〇])([{_NUMERAL}]{{1,2}})排"
    rf"(?=[{_NUMERAL}]|\s*的?\s*[那这]?(?:家|户|门口|房|[东西南北](?:头|边))|(?<!一排)平房|有(?:户|家|人家)"
    r"|\s*(?:那(?:条|根|块|边|片|头|儿)|后头|后边|后面|前头|前边|前面))"
)
# What follows a day of the month (5号就坏了, 8号那天, 5号开始封路), not a house number.
_DATE_AFTER = r"\s*(?:就|那天|开始|说|晚上|早上|上午|下午|中午|前|后|以前|之前|以后|到|至|起)"
# A street address (人民路15号, 六巷3号) is a building: 人民路十五号火锅店 is 人民路15号楼下.
_ADDRESS = re.compile(
    rf"(?<=[路街巷弄条同])([{_NUMERAL}]{{1,4}})(?:号(?![线车铺摊位]|{_DATE_AFTER})|(?=门口|[)）]))"
    # … and so is a house of a village, an old lane or an estate by its number (江汉村10号)
    rf"|(?<=[村坊苑])(?<!全村)(?<!本村)([{_NUMERAL}]{{1,3}})号"
    rf"(?![线车铺摊位楼栋门口岗地出]|{_DATE_AFTER}|\s*(?:停|开会|放假|通知|集中|统一))"
)
# … as is a lone number where a road is named (56号店门口 … 渔港路), not a parking bay's
_HOUSE_NUMBER = re.compile(
    rf"(?<![{_NUMERAL}几月])([{_NUMERAL}]{{1,4}})号(?![楼栋线车铺摊位桥机床房]|{_DATE_AFTER})"
)
# A group's house (一社23号, 三组5号) is the house: the group is a place around it.
_GROUP_HOUSE = re.compile(rf"(?<=[组社])([{_NUMERAL}]{{1,3}})号(?![楼栋线车铺摊位]|{_DATE_AFTER})")
# Numbered things that are not buildings: 56号车位, 8号摊位, the 二号桥.
_NUMBERED = re.compile(  # … not a numbered gate, named as such (1号门)
    rf"(?<![{_NUMERAL}几])([{_NUMERAL}]{{1,4}})号(?![楼栋线]|门(?![禁铃锁卫面框把]))"
)
# Ends and sides: 东段 and 西段 of one road are different places.
_SIDE = re.compile(
    # 东区 and 东边 are one
    r"村([东南西北])|([东南西北])(?:段|头|边|面|侧|片|区|排|口|山墙|院(?!长))|(中)段"
    r"|([东南西北]{1,2})角|([左右])(?:边|侧|手)(?:那|这)"  # 东北角, 左边那部电梯
    r"|(?<=[楼栋幢])的?([前后])(?:面|头|边)|楼([前后])(?![天年台])"  # 26号楼后面 is not its front
    r"|(?<=[栋幢])的?门(前)|(?<=[栋幢])的?(前)?门口"  # 13栋门口 is its front
    r"|([男女])(?=更衣室|厕|卫生间|浴室|澡堂|宿舍)"  # the men's and the women's
    r"|(?<=[库场])的?([入出])口"  # a garage's way in is not its way out
    r"|(?<=[巷街弄])([头尾])(?!发)"  # the head of a lane is not its tail (羊子巷头上 / 羊子巷尾)
)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a report says the problem is: building, unit, gates and roads named."""

    building: str | None
    unit: str | None
    spots: frozenset[str]

    @property
    def named(self) -> bool:
        """Whether the report names any place at all."""
        return bool(self.building or self.spots)

    @property
    def buildings(self) -> frozenset[str]:
        """The buildings named: one, several (1、2、3栋停水) or two with what lies between them
        (16和17栋中间), whose ticket is also each one's (十六栋旁边小弄)."""
        return frozenset(self.building.split("+")) if self.building else frozenset()

    def agrees(self, other: Place) -> bool:
        """Nothing contradicts: buildings equal where both name one (or one's among the
        other's), units equal, not a building against a gate or road, and a gate or road in
        common where both name some."""
        if (
            self.building
            and other.building
            and not (self.buildings <= other.buildings or other.buildings <= self.buildings)
        ):
            return False
        if self.unit and other.unit and self.unit != other.unit:
            return False
        # A building on one side and only gates or roads on the other are two places, unless
        # the building is on the road named (杨柳巷27号 / 杨柳巷那户人家).
        if (self.building is None) != (other.building is None):
            only_spots, with_building = (self, other) if self.building is None else (other, self)
            if only_spots.spots and not (
                _within(only_spots.spots, with_building.spots)
                and not any(_GATE_LIKE.search(spot) for spot in only_spots.spots)
            ):
                return False
        # Gates and roads: where both name some, one's must be among the other's.
        return not (
            self.spots
            and other.spots
            and not (_within(self.spots, other.spots) or _within(other.spots, self.spots))
        )


_GATE_LIKE = re.compile(r"(?:门|出口|区|期)$")  # a gate or a part of a compound, not a road


def _within(some: frozenset[str], others: frozenset[str]) -> bool:
    """Whether each spot of `some` is one of `others`, a name by its name (`_same_name`)."""
    return all(any(_same_name(spot, other) for other in others) for spot in some)


# A numbered or lettered spot (12巷, 47弄, 东北门, 3组, A出口) is matched as written.
_NUMBERED_SPOT = re.compile(r"[\dA-Z]|门$|组$")
_ROAD_PART = re.compile(r"[东西南北中](?=路$|街$|大道$)")
_COMPOUND_OF = re.compile(r"(?<=.厂)(?:家属院|家属区|大院)$")


def _same_name(one: str, other: str) -> bool:
    """A road, estate or village read with a word before it is the same name (打风后兴华路 is
    兴华路, 你好张家屯 is 张家屯), and a road without its part is any part of it (复兴路 is
    复兴中路; 建国东路 is not 建国西路); numbered spots and gates only as written."""
    one, other = _COMPOUND_OF.sub("", one), _COMPOUND_OF.sub("", other)  # 烟厂家属院 is the 烟厂's
    if one == other:
        return True
    if _OLD_STREET.fullmatch(one) or _OLD_STREET.fullmatch(other):  # 工人村后街 is the 后街
        return one.endswith(other) or other.endswith(one)
    if min(len(one), len(other)) < 3 or _NUMBERED_SPOT.search(one) or _NUMBERED_SPOT.search(other):
        return False
    if one.endswith(other) or other.endswith(one):
        return True
    return _ROAD_PART.sub("", one) == other or _ROAD_PART.sub("", other) == one


@dataclass(frozen=True, slots=True)
class Whereabouts:
    """Everything a report says about where: its place, the parts of the compound, flats,
    floors and neighbours it names."""

    place: Place
    areas: frozenset[str] = frozenset()  # parts of the compound named (车库, 天台 …)
    rooms: frozenset[str] = frozenset()  # flat numbers named (402, 1202)
    storeys: frozenset[str] = frozenset()  # the floors named outright (十二楼, B1)
    persons: frozenset[str] = frozenset()  # neighbours named, by surname
    across_floors: bool = False  # speaks of the floors above or below (楼上漏水下来)
    floor_range: bool = False  # names a run of floors (四楼以上, 3到5楼)

    def _only_areas(self) -> bool:
        return bool(self.areas) and not self.place.named

    def _only_spots(self) -> bool:
        return bool(self.place.spots) and not self.place.building and not self.areas

    def _only_outdoors(self) -> bool:
        return bool(self.areas & _OUTDOORS) and not self.place.named

    def agrees(self, other: Whereabouts) -> bool:
        """Whether the two can be one place: not two different flats or parts of the
        compound, households, or a building against only a gate, road or garden."""
        if not self.place.agrees(other.place):
            return False
        mine, theirs = _parts(self.areas), _parts(other.areas)
        if mine and theirs and not mine & theirs and not _levels(self, other):
            return False
        sides, their_sides = _sides(self.areas), _sides(other.areas)
        if any(
            sides.get(axis) and their_sides.get(axis) and not sides[axis] & their_sides[axis]
            for axis in sides.keys() & their_sides.keys()
        ):
            return False  # the 东区's roof is not the 西区's, a garage's way in not its way out
        # A side against only a part outdoors and no side: 文化路中段 is not its 路口. (A side says
        # nothing against a part of a building: 九幢门口 is by its 楼道口.)
        # Where both name one building, its front is by its square (2栋楼下小广场 / 二号楼前面).
        one_building = self.place.building is not None and (
            self.place.building == other.place.building
        )
        if not one_building and (
            (sides and not mine and theirs <= _OUTDOORS and theirs and not their_sides)
            or (their_sides and not theirs and mine <= _OUTDOORS and mine and not sides)
        ):
            return False
        kinds, their_kinds = self.areas & _KIND_OF.keys(), other.areas & _KIND_OF.keys()
        if kinds and their_kinds and not kinds & their_kinds:
            return False
        # A building against only a garden, square or market: 6栋楼下 is not the 中心花园.
        if (self.place.building and other._only_outdoors() and not self.areas & other.areas) or (
            other.place.building and self._only_outdoors() and not self.areas & other.areas
        ):
            return False
        # A part of the compound against only a gate or road: 中心花园 is not the 东门.
        if (self._only_areas() and other._only_spots()) or (
            self._only_spots() and other._only_areas()
        ):
            return False
        if self._other_house(other) or other._other_house(self):
            return False  # 72号院子 is not 75号
        if self.persons and other.persons and not self.persons & other.persons:
            return False  # 刘婆婆 is not 陈大爷
        if self._one_floor() and other._one_floor() and self.floors != other.floors:
            return False  # 18楼的楼道 is not 8楼的, the 302 not the 1202
        if self._far_floors(other):
            return False  # 9楼漏到8楼 is not 12楼漏到11楼
        # Two flats are two places, unless one report names the other's floor outright: a
        # neighbour quarrel names the flat above in one report and "十二楼" in the next.
        return not (
            self.rooms
            and other.rooms
            and not self.rooms & other.rooms
            and not (self._flat_floors() & other.storeys or other._flat_floors() & self.storeys)
        )

    def _other_house(self, other: Whereabouts) -> bool:
        """Whether this names a house by its number and the other only another's number."""
        houses = {room for room in other.rooms if room.endswith("号")}
        building = self.place.building
        return bool(building and houses and other.place.building is None) and (
            f"{building}号" not in houses
        )

    def _one_floor(self) -> bool:
        """Whether the report names a single floor as where the problem is, not floors above
        or below it (楼上往下滴水, 四楼以上没水) or several (二楼三楼都呛)."""
        return len(self.floors) == 1 and not self.across_floors

    def _far_floors(self, other: Whereabouts) -> bool:
        """Whether both name floors above ground, none next to one of the other's: a leak from
        the floor above reaches the next one down, not three floors on."""
        if self.floor_range or other.floor_range:
            return False
        mine = {int(floor) for floor in self.floors if floor.isdigit()}
        theirs = {int(floor) for floor in other.floors if floor.isdigit()}
        return bool(mine and theirs) and all(abs(a - b) >= 2 for a in mine for b in theirs)

    def _flat_floors(self) -> frozenset[str]:
        return frozenset(room[:-2] for room in self.rooms if room.isdigit())

    @property
    def floors(self) -> frozenset[str]:
        """The floors named, and those of the flats named (12 for 1202)."""
        return self._flat_floors() | self.storeys


# Sides by what they divide; two sides contradict only along one of these: a building's front
# is its south and its back its north (buildings face south: 18号楼后边 is 18号楼北侧), a way in
# is no side of the compass (车库入口 / 车库东边).
_FACING = {"前侧": "南侧", "后侧": "北侧"}
_AXIS = {
    "入侧": "way",
    "出侧": "way",
    "左侧": "hand",
    "右侧": "hand",
    "男侧": "sex",
    "女侧": "sex",
    "头侧": "end",  # a lane's head and tail
    "尾侧": "end",
}


def _sides(areas: frozenset[str]) -> dict[str, frozenset[str]]:
    """The sides named, by axis."""
    by_axis: defaultdict[str, set[str]] = defaultdict(set)
    for area in areas:
        if area.endswith("侧"):
            by_axis[_AXIS.get(area, "compass")].add(_FACING.get(area, area))
    return {axis: frozenset(sides) for axis, sides in by_axis.items()}


def _parts(areas: frozenset[str]) -> frozenset[str]:
    """The parts named, each as its kind, without sides; a building's 大堂 is where its 楼道
    begins (楼道里扔了个沙发 / 一楼大厅扔了个破沙发)."""
    return frozenset(
        "楼道" if area == "大堂" else _KIND_OF.get(area, area)
        for area in areas
        if not area.endswith("侧")
    )


def _levels(one: Whereabouts, other: Whereabouts) -> bool:
    """Whether one names only a village's landmarks and the other only parts of a building: the
    屋顶 of the 祠堂 at the 村口 is both, so the two say nothing against each other."""
    return (one.areas <= _LANDMARKS and other.areas <= _INDOORS) or (
        other.areas <= _LANDMARKS and one.areas <= _INDOORS
    )


def _number(text: str) -> str:
    """A number as it is read from a place, in digits where it is one (三 → 3, 12 → 12, A → A)."""
    value = chinese_number(text)
    return text if value is None else str(value)


def _both_buildings(match: re.Match[str]) -> str:
    first = match[2] or _number(match[1])
    return f"{first}栋、"


def _two_buildings(match: re.Match[str]) -> str:
    first, second = (chinese_number(n) for n in match.group(1, 2))
    if first and second and second == first + 1:
        return f"{first}栋{second}栋"
    return match[0]


def place_body(text: str) -> str:
    """The message normalised as the classifier does it, with the place forms only matching
    needs written one way too (九座, 叁栋, 七零二, 17-2电梯)."""
    text = _PAIR_OF_BUILDINGS.sub(_two_buildings, _COUNT_OF_BUILDINGS.sub("几栋", text))
    text = _OLD_TENS.sub(lambda m: "二十" if m[1] == "廿" else "三十", _WHICH_ONE.sub("", text))
    body = normalise(text).body
    if _SEAT.search(body) or _SPOKEN_ROOM.search(body) or _CHEQUE_NUMBER.search(body):
        body = _SPOKEN_ROOM.sub(lambda m: str(chinese_number(m[0])), body)
        body = _CHEQUE_NUMBER.sub(lambda m: m[0].translate(_CHEQUE), body)
        body = unify_places(_SEAT.sub(r"\1栋", body))
    body = _HASH_ENTRANCE.sub(r"\1栋\2门", body)
    body = _STOREY_F.sub(r"\1楼", body)
    for short_unit in (_WING, _SHORT_UNIT):
        body = short_unit.sub(lambda m: f"{m[1]}栋{m[2].upper()}单元", body)
    body = body.replace("栋顶", "栋楼顶")  # 9号楼顶上 was read as 9栋顶上
    body = _TOWER_FLOOR.sub(_tower_floor, body)
    body = _LETTERED.sub(lambda m: f"{m[1].upper()}栋", body)
    body = _NUMBER_BEFORE.sub(r"\1栋\2", _NUMBER_AFTER.sub(r"\1\2栋", body))
    body = _FLOOR_AS_BUILDING.sub(r"\1栋", body)
    body = _ENTRANCE.sub(lambda m: f"{_number(m[1])}单元", body)
    body = _NUMBER_OF_UNIT.sub(lambda m: f"{_number(m[1])}栋", body)
    body = _ADDRESS.sub(lambda m: f"{_number(m[1] or m[2])}栋", body)
    body = _GROUP_HOUSE.sub(lambda m: f"{_number(m[1])}栋", body)
    for _ in range(3):  # 1、2、3栋: each pass names one more of a list
        body, listed = _BUILDING_LIST.subn(_both_buildings, body)
        if not listed:
            break
    body = _SIDE_GATE.sub(r"\1门", body)
    body = _DASHED_UNIT.sub(r"\1栋\2单元", _BUILDING_UNIT.sub(r"\1栋\2单元", body))
    if not _BUILDING.search(body):  # no building named: a house number or a northern 楼 is one
        body = _HOUSE.sub(lambda m: f"{_number(m[1])}栋", _BETWEEN.sub(r"\1栋\2栋", body))
        body = _FLOOR_WITH_SURROUNDINGS.sub(r"\1栋", body)
    return body


def _tower_floor(match: re.Match[str]) -> str:
    """a24 is tower A, floor 24; B2 stays a floor below ground."""
    if int(match[2]) < 4:
        return match[0]
    return f"{match[1].upper()}栋{match[2]}楼"


def whereabouts(body: str) -> Whereabouts:
    """Read the places a `place_body` names."""
    named = _BUILDING.findall(body)
    groups = [f"{_number(group)}组" for group in _GROUP.findall(body)]
    buildings = named or groups or [f"{_number(row)}排" for row in _ROW.findall(body)]
    units = [unit.upper() for unit in _UNIT.findall(body)]
    roads = [
        # "幸福路和和平路": the second road is 和平路, not 和和平路
        road[1:] if road[0] == "和" and len(road) > 3 else road
        for road in _named(_ROAD, body) + _named(_CROSSING, body)
        if road not in _NOT_ROADS and not _NOT_ROAD.search(road) and not _LANE.search(road)
    ]
    lanes = [f"{_number(lane)}巷" for lane in _LANE.findall(body)]
    lanes += [f"{lane}弄" for lane in _LONG.findall(body)]
    lanes += [f"{_number(lane)}条" for lane in _TIAO.findall(body)]
    numbered = [f"{_number(n)}号" for n in _NUMBERED.findall(body)]
    houses = {_number(n) for n in _HOUSE_NUMBER.findall(body)}
    if not buildings and roads and len(houses) == 1 and len(set(numbered)) == 1:
        buildings, numbered = [houses.pop()], []
    # 东大门 and 东小门 are the 东门, as 西边小门 is the 西门
    gates = [gate.replace("大", "").replace("小", "") for gate in _named(_GATE, body)]
    gates += [f"{exit.upper()}出口" for exit in _EXIT.findall(body)]
    place = Place(
        building=buildings[0]
        if len(set(buildings)) == 1
        else ("+".join(sorted(set(buildings))) or None),
        unit=units[0] if len(set(units)) == 1 else None,
        spots=frozenset(
            gates
            + roads
            + lanes
            + _ESTATE.findall(body)
            + _VILLAGE_ENTRANCE.findall(body)
            + _GATE_ROAD.findall(body)
            + [bridge for bridge in _BRIDGE.findall(body) if not _NOT_BRIDGES.search(bridge)]
            + _INSTITUTION.findall(body)
            + _HAMLET.findall(body)
            + _OLD_STREET.findall(body)
            + [f"{name}里" for name in _LI.findall(body)]
            + _SHOP.findall(body)
            + [f"{name}市场" for name in _MARKET.findall(body)]
            + (groups if named else [])  # a house's group (一社23号) is a place around it
        ),
    )
    storeys = frozenset(
        _FLOOR.findall(body) + [f"B{_number(n)}" for n in map("".join, _BASEMENT.findall(body))]
    ) - frozenset(_LIFT_STOP.findall(body) + _WALKED.findall(body) + _OWN_FLOOR.findall(body))
    rooms = frozenset(
        [room for room in _ROOMS.findall(body) if room not in _NOT_ROOMS]
        + _FLAT_OF.findall(body)
        + [f"{car.upper()}梯" for car in _LIFT_CAR.findall(body)]
        + numbered
    )
    homes = frozenset(_HOME.findall(body))
    if (others := rooms - homes) and others != rooms:
        rooms = others
    elif rooms and rooms <= homes:  # 我住402，楼上天天拖椅子: the flat above is 502
        rooms |= _next_flats(rooms, body)
    return Whereabouts(
        place=place,
        areas=frozenset(
            _AREA_NAME[match[0]]
            for match in _AREA.finditer(body)
            if not (_AREA_NAME[match[0]] in _BUSINESSES and _OPENS.search(body, 0, match.start()))
        )
        | frozenset(
            # a side caught as nothing is a building's front door (13栋门口)
            f"{side or '前'}侧"
            for side in _named(_SIDE, body)
        ),
        rooms=rooms,
        storeys=storeys,
        persons=frozenset("".join(names) for names in _PERSON.findall(body)),
        across_floors=bool(_ACROSS_FLOORS.search(body)),
        floor_range=bool(_FLOOR_RANGE.search(body)),
    )


def _next_flats(homes: frozenset[str], body: str) -> frozenset[str]:
    """The flats above the reporter's own where the report is about the neighbour upstairs (我住
    402，楼上 is 502), and below where about the one downstairs."""
    steps = ([100] if _UPSTAIRS.search(body) else []) + ([-100] if _DOWNSTAIRS.search(body) else [])
    return (
        frozenset(str(int(home) + step) for home in homes if home.isdigit() for step in steps)
        - homes
    )


def _named(pattern: re.Pattern[str], body: str) -> list[str]:
    """The names the pattern finds (what its groups caught where it has some), but not those
    one goes round by, measures from or says it is not, where it finds others."""
    found = [
        ("".join(g or "" for g in m.groups()) if pattern.groups else m[0], m.start())
        for m in pattern.finditer(body)
    ]
    beside = [name for name, start in found if not _ASIDE.search(body, max(0, start - 4), start)]
    return beside or [name for name, _ in found]


def without_places(body: str, place: Place) -> str:
    """The body without its building, unit, flat, gate and road names."""
    lanes_gone = _TIAO.sub("", _LONG.sub("", _LANE.sub("", body)))  # named in their own form
    stripped = _ROOM.sub("", _UNIT.sub("", _BUILDING.sub("", lanes_gone)))
    for spot in sorted(place.spots, key=lambda spot: (-len(spot), spot)):  # one order every run
        stripped = stripped.replace(spot, "")
    return stripped
