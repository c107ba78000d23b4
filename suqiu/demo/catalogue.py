"""The demo category tree and the Chinese texts the demo appeals are written from.

Two levels: twelve top-level categories, each with sub-categories, Chinese and English names and a
default handling organisation (a sub-category may override its parent's; ``None`` means the
community or a social work agency takes it, chosen at dispatch). Every sub-category carries
templates for titles and descriptions and the fixes a handler reports. All texts were written for
this project; the slots (``{place}``, ``{spot}``, ``{road}``, ``{cross}``, ``{bld}``, ``{when}``,
``{n}``, ``{age}``, ``{floor}``) are filled by ``texts.Slots``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sub:
    code: str
    name: str
    name_en: str
    titles: tuple[str, ...]
    details: tuple[str, ...]
    fixes: tuple[str, ...]
    weight: float = 1.0
    org: str | None = "inherit"  # organisation code, None for community handling, or inherit
    claimable: bool = False  # suits social workers and volunteers (the task library)
    urgent: float = 0.08  # share reported as urgent
    emergency: float = 0.0  # share reported as an emergency
    patrol: bool = False  # grid workers find these on patrol
    enterprise: bool = False  # enterprises report these at the enterprise desk


@dataclass(frozen=True)
class Top:
    code: str
    name: str
    name_en: str
    org: str | None
    subs: tuple[Sub, ...]


CATEGORIES: tuple[Top, ...] = (
    Top(
        "ROAD",
        "道路交通",
        "Roads and traffic",
        "PS-TRANSPORT",
        (
            Sub(
                "ROAD.POTHOLE",
                "路面破损",
                "Damaged road surface",
                ("{road}路面坑洼", "{cross}路面破损严重", "{place}门口道路塌陷"),
                (
                    "{road}靠近{place}一段路面出现多个坑洼，最大的有脸盆那么大，{when}下雨后积满水，电动车经过容易打滑，希望尽快修补。",
                    "{cross}往{place}方向的车道上有一处路面塌陷，周围已经开裂，晚上看不清，担心有车辆陷进去，请派人查看。",
                    "{place}门口的沥青路面被重车压坏，坑坑洼洼，小孩上学经过很不安全，请相关部门修复。",
                ),
                (
                    "对破损路面进行了沥青冷补，并设置了临时警示标志",
                    "完成了塌陷路段的开挖回填和路面恢复",
                    "安排养护单位对该路段{n}处坑槽进行了修补",
                ),
                weight=1.5,
                patrol=True,
            ),
            Sub(
                "ROAD.SIGNAL",
                "信号灯与标志",
                "Traffic lights and signs",
                ("{cross}红绿灯故障", "{road}交通标志被撞倒", "{cross}行人信号灯时间太短"),
                (
                    "{cross}的红绿灯{when}一直黄灯闪烁，高峰期车辆互不相让，差点发生事故，请尽快维修。",
                    "{road}{n}号附近的限速标志牌被车撞倒在路边，已经好几天没人处理。",
                    "{cross}的行人绿灯只有十几秒，老人推着婴儿车根本走不过去，建议延长行人通行时间。",
                ),
                (
                    "更换了故障信号机控制板，信号灯已恢复正常",
                    "重新安装了标志牌并加固了基础",
                    "将行人绿灯时间由15秒调整为28秒",
                ),
                urgent=0.2,
            ),
            Sub(
                "ROAD.PARKING",
                "违章停车",
                "Illegal parking",
                ("{place}门口车辆乱停", "{road}违停堵塞消防通道", "{place}出口被车辆长期占用"),
                (
                    "{place}门口每天都有车辆停在人行道和消防通道上，{when}救护车都进不来，希望加强管理。",
                    "{road}靠近{place}一侧长期有货车违停过夜，占了一条车道，早高峰非常堵。",
                    "有车辆停在{place}{bld}楼下出口，挡住了进出，车上留的电话也没人接，请派人处理。",
                ),
                (
                    "交警已到场对违停车辆依法处罚并拖移",
                    "在该路段增设了禁停标志，并安排早晚高峰巡查",
                    "联系车主将车辆移走，并对其进行了批评教育",
                ),
                weight=2.5,
                org="PS-POLICE",
                patrol=True,
            ),
            Sub(
                "ROAD.MUCK",
                "泥头车",
                "Muck trucks",
                ("{road}泥头车高峰期通行", "{road}泥头车撒漏泥土", "{cross}泥头车超速"),
                (
                    "{road}附近两个工地的泥头车每天早上七点半到九点上班高峰期进出，车速快、尘土大，和上学的孩子抢道，非常危险。",
                    "{road}上泥头车沿路撒漏泥浆，{when}路面全是泥，下雨天很滑，请督促工地做好冲洗和覆盖。",
                    "晚上十一点以后还有泥头车在{cross}附近高速通行，轰隆声吵得居民无法休息。",
                ),
                (
                    "约谈了相关工地及运输公司，要求早晚高峰时段（7:30-9:00、17:30-19:00）泥头车不得进出",
                    "对撒漏车辆依法处罚，并要求工地完善洗车槽",
                    "在该路段增设了测速监控，并加强夜间巡查",
                ),
                patrol=True,
                urgent=0.15,
            ),
            Sub(
                "ROAD.BUS",
                "公交出行",
                "Public transport",
                ("{place}公交站缺少候车亭", "建议增开到{place}的公交线路", "{road}公交车到站不停"),
                (
                    "{place}公交站只有一根站牌，没有候车亭和座椅，下雨天老人只能站着淋雨等车，希望增设候车亭。",
                    "{place}附近新入住了很多居民和工厂员工，早上去地铁站的公交车班次太少，经常要等半个小时，建议加密班次。",
                    "{road}站的公交车{when}经常过站不停，司机说是客满，希望公交公司核实。",
                ),
                (
                    "已将增设候车亭纳入本年度公交站点改造计划，预计下月施工",
                    "协调公交公司在早高峰加开了区间车",
                    "要求公交公司对相关司机进行教育，并加强调度",
                ),
                weight=0.7,
                urgent=0.0,
            ),
        ),
    ),
    Top(
        "CITY",
        "市容环卫",
        "City appearance and sanitation",
        "PS-URBAN",
        (
            Sub(
                "CITY.RUBBISH",
                "垃圾清运",
                "Rubbish collection",
                ("{place}垃圾没人清运", "{place}垃圾桶满溢", "{road}路边垃圾堆积"),
                (
                    "{place}{bld}旁边的垃圾桶已经{n}天没人清运，垃圾堆到地上，天气热臭味很大，苍蝇很多。",
                    "{road}路边有人乱倒建筑垃圾和旧家具，越堆越多，已经占了半边人行道。",
                    "{place}的垃圾分类投放点晚上就满了，第二天中午才来收，希望增加清运频次。",
                ),
                (
                    "安排环卫车辆当天清运完毕，并将清运频次调整为每日两次",
                    "清理建筑垃圾约{n}车，并在现场张贴了禁倒告示",
                    "与物业协调增设了两个垃圾桶",
                ),
                weight=3.0,
                patrol=True,
            ),
            Sub(
                "CITY.STREETLIGHT",
                "路灯",
                "Street lights",
                ("{road}路灯不亮", "{place}附近路灯损坏", "{cross}路灯白天常亮"),
                (
                    "{road}从{place}到{cross}一段有{n}盏路灯不亮，{when}晚上一片漆黑，下班回家很害怕。",
                    "{place}{bld}楼下的路灯坏了，灯杆也有点歪，晚上老人出来散步看不清台阶。",
                    "{cross}附近的路灯白天一直亮着，浪费电，请检修控制器。",
                ),
                (
                    "更换了损坏的灯具和电缆，路灯已恢复照明",
                    "扶正加固了灯杆，并更换了LED灯头",
                    "检修了路灯时控器，已恢复正常开关时间",
                ),
                weight=2.5,
                patrol=True,
            ),
            Sub(
                "CITY.MANHOLE",
                "井盖",
                "Manhole covers",
                ("{spot}井盖松动", "{road}井盖缺失", "{place}门口井盖下沉"),
                (
                    "{spot}有一个井盖松动，车辆压过去哐哐响，{when}已经有电动车差点摔倒，请尽快更换或固定。",
                    "{road}人行道上有个井盖不见了，只用一个塑料桶挡着，晚上光线暗，小孩经过很危险。",
                    "{place}门口的雨水井盖下沉了好几厘米，行人容易崴脚，车辆经过噪声很大。",
                ),
                (
                    "更换为防盗防响井盖，并加装了防坠网",
                    "补装了井盖，并对周边{n}个井盖进行了排查",
                    "重新调整了井座高度，井盖已与路面平齐",
                ),
                weight=1.5,
                urgent=0.35,
                patrol=True,
            ),
            Sub(
                "CITY.STALL",
                "占道经营",
                "Street vending",
                ("{place}门口占道经营", "{road}夜市摊贩占用人行道", "{place}商铺出店经营"),
                (
                    "{place}门口每天傍晚有十几个流动摊贩摆摊，占满了人行道，行人只能走机动车道。",
                    "{road}的夜宵摊把桌子摆到人行道上，营业到凌晨两三点，地上油污很多。",
                    "{place}一楼几家商铺把货架摆到店外，消防通道都被占了。",
                ),
                (
                    "执法队员到场劝离了摊贩，并将该点位纳入每日重点巡查",
                    "对出店经营的商户进行教育并责令整改，商户已将货物搬回店内",
                    "在附近规划了临时疏导点，引导摊贩入场经营",
                ),
                weight=1.5,
                patrol=True,
            ),
            Sub(
                "CITY.GREEN",
                "绿化养护",
                "Greenery",
                ("{road}行道树遮挡路灯", "{place}绿化带杂草丛生", "{road}树木倾斜"),
                (
                    "{road}的行道树枝叶太密，把路灯和交通标志都挡住了，建议修剪。",
                    "{place}旁边的绿化带很久没有人打理，杂草有半人高，蚊子特别多。",
                    "{road}靠近{place}有一棵大树倾斜，根部已经松动，刮风下雨担心倒下砸到人和车。",
                ),
                (
                    "安排园林队对该路段行道树进行了修剪",
                    "完成了绿化带除草和补植",
                    "对倾斜树木进行了扶正加固，并移除了枯枝",
                ),
                patrol=True,
            ),
        ),
    ),
    Top(
        "WATER",
        "供排水",
        "Water supply and drainage",
        "PS-WATER",
        (
            Sub(
                "WATER.LEAK",
                "供水管漏水",
                "Water leaks",
                ("{spot}水管爆裂", "{road}路面冒水", "{place}消防栓漏水"),
                (
                    "{spot}的供水管爆了，水一直往外冒，路面已经积了一大片，请尽快派人关阀抢修。",
                    "{road}靠近{place}的路面有清水一直往外渗，{when}都是这样，应该是地下水管漏了。",
                    "{place}{bld}旁边的消防栓一直在漏水，浪费很严重。",
                ),
                (
                    "抢修队关阀抢修，更换了破损管段，供水已恢复",
                    "探测到漏点并完成了开挖修复",
                    "更换了消防栓阀门，漏水已止住",
                ),
                weight=2.0,
                urgent=0.3,
                patrol=True,
            ),
            Sub(
                "WATER.OUTAGE",
                "停水与水压",
                "Water outage and pressure",
                ("{place}停水没有通知", "{place}高楼层水压不足", "{place}自来水发黄"),
                (
                    "{place}{when}突然停水，事先没有任何通知，家里老人小孩做饭洗澡都成问题，请问什么时候恢复？",
                    "{place}{bld}{floor}楼以上水压一直很小，每天晚上七八点基本没水，热水器都打不着火。",
                    "{place}的自来水放出来发黄，有铁锈味，不敢喝，希望检测一下水质。",
                ),
                (
                    "查明为小区加压泵故障，维修后供水已恢复，并要求物业今后停水须提前通知",
                    "调整了二次供水设备运行参数，高峰时段水压已恢复正常",
                    "对管网进行了冲洗并送检水样，检测结果符合国家标准",
                ),
                weight=1.5,
                urgent=0.25,
            ),
            Sub(
                "WATER.FLOOD",
                "内涝积水",
                "Flooding",
                ("{cross}严重积水", "{place}地下车库进水", "{road}下雨就淹"),
                (
                    "{cross}一下大雨就积水，水深没过小腿，车辆熄火在路中间，行人根本过不去。",
                    "暴雨后{place}地下车库入口大量进水，已经淹了好几辆车，请派人抽水。",
                    "{road}靠近{place}一段每次下雨都积水，排水口被垃圾堵住了，请疏通。",
                ),
                (
                    "调派抽水车到现场排水，并疏通了堵塞的雨水口",
                    "对该积水点雨水管进行了清淤，并纳入汛期重点监测",
                    "协助物业在车库入口设置了挡水板并完成抽排",
                ),
                weight=1.2,
                urgent=0.4,
                emergency=0.1,
                patrol=True,
            ),
            Sub(
                "WATER.SEWER",
                "污水管网",
                "Sewage",
                ("{place}化粪池外溢", "{road}下水道反味", "{place}污水管堵塞"),
                (
                    "{place}{bld}旁边的化粪池满了往外溢，污水流到路上，臭气熏天。",
                    "{road}的下水道{when}一直往上反臭味，路过的人都要捂鼻子。",
                    "{place}的污水管堵了，一楼住户家里的地漏往上冒污水。",
                ),
                (
                    "安排吸污车清掏了化粪池并进行了消杀",
                    "对该段污水管进行了疏通和清淤",
                    "更换了破损管段，并督促物业定期清掏",
                ),
                patrol=True,
            ),
        ),
    ),
    Top(
        "ENV",
        "生态环境",
        "Environment",
        "PS-ECO",
        (
            Sub(
                "ENV.NOISE",
                "噪声扰民",
                "Noise",
                ("{place}夜间施工噪音", "{place}附近KTV噪音扰民", "{place}广场舞音响太大"),
                (
                    "{place}附近的工地{when}晚上十点以后还在施工打桩，噪音很大，孩子第二天要上学根本睡不着。",
                    "{place}楼下的KTV和烧烤店每天营业到凌晨两三点，唱歌喝酒吵闹，严重影响休息。",
                    "{place}广场每天晚上跳广场舞，音响开得很大，一直到十点多，楼上住户没法休息。",
                ),
                (
                    "到现场对工地夜间施工进行了查处，责令其未取得夜间施工许可不得施工",
                    "对相关商户进行了噪声检测并责令整改，商户已加装隔音设施",
                    "与广场舞队伍负责人沟通，约定了音量和结束时间",
                ),
                weight=3.0,
            ),
            Sub(
                "ENV.AIR",
                "油烟与异味",
                "Fumes and odours",
                ("{place}餐馆油烟扰民", "{place}附近工厂排放异味", "{road}有人焚烧垃圾"),
                (
                    "{place}一楼新开的餐馆油烟直排，没有安装净化器，{bld}的住户窗户都不敢开。",
                    "{place}附近的工厂{when}晚上排放刺鼻气味，像烧塑料一样，闻了头晕。",
                    "{road}旁边的空地上经常有人焚烧垃圾和电线，黑烟很大。",
                ),
                (
                    "责令餐馆安装油烟净化设施并定期清洗，复查时已整改到位",
                    "对该企业废气排放进行了监测并立案调查",
                    "扑灭了焚烧点，并在现场张贴了禁止焚烧告示",
                ),
                weight=1.5,
                patrol=True,
            ),
            Sub(
                "ENV.RIVER",
                "河道污染",
                "River pollution",
                ("{place}附近河道发黑发臭", "{road}旁排水口排污", "{place}河道漂浮垃圾多"),
                (
                    "{place}附近的河道{when}水发黑发臭，还有死鱼浮上来，怀疑有人偷排污水。",
                    "{road}旁边的排水口一直往河里排浑浊的污水，颜色发白，不像是雨水。",
                    "{place}边的河道里有很多塑料瓶和泡沫垃圾，很久没有清理了。",
                ),
                (
                    "溯源排查并封堵了一处雨污混接点，河道水质已好转",
                    "对涉嫌偷排的企业取样检测并依法处理",
                    "安排河道保洁队清理了漂浮垃圾",
                ),
                weight=0.8,
                patrol=True,
            ),
        ),
    ),
    Top(
        "HOUSING",
        "住房建设",
        "Housing and construction",
        "PS-HOUSING",
        (
            Sub(
                "HOUSING.RENTAL",
                "房屋租赁",
                "Rental housing",
                ("{place}房东不退押金", "{place}出租屋私自加建", "{place}出租屋水电费过高"),
                (
                    "我租住在{place}{bld}，合同到期退房，房东以各种理由扣押金不退，请帮忙协调。",
                    "{place}有房东在楼顶私自加建铁皮房出租，住了好几户人，担心安全。",
                    "{place}{bld}的房东按每度电1.5元、每吨水8元收费，远高于标准，租户意见很大。",
                ),
                (
                    "约谈房东和租户进行了调解，双方已达成退还押金的协议",
                    "对违法加建部分立案查处，并责令限期拆除",
                    "告知房东水电费应按规定标准收取，房东已同意整改",
                ),
                weight=2.0,
            ),
            Sub(
                "HOUSING.SITE",
                "工地施工",
                "Construction sites",
                ("{place}旁工地扬尘严重", "{road}工地围挡倒塌", "{place}附近工地占道施工"),
                (
                    "{place}旁边的工地没有覆盖裸土，也不洒水，一刮风尘土飞扬，阳台上全是灰。",
                    "{road}的工地围挡被风刮倒了一段，倒在人行道上，行人只能绕到马路上走。",
                    "{place}附近的工地材料堆到路上，占道施工却没有设置警示标志。",
                ),
                (
                    "责令工地对裸土全覆盖，并增加了雾炮和洒水频次",
                    "要求施工单位当天恢复围挡并加固",
                    "督促施工单位清理了占道材料并设置了安全警示",
                ),
                weight=1.5,
                patrol=True,
                enterprise=True,
            ),
            Sub(
                "HOUSING.PROPERTY",
                "物业管理",
                "Property management",
                ("{place}物业不作为", "{place}门禁坏了", "{place}物业乱收停车费"),
                (
                    "{place}的物业公司收了物业费，但是楼道灯坏了、垃圾没人清，反映多次都不处理。",
                    "{place}大门门禁坏了一个多月，外来人员随便进出，居民担心安全。",
                    "{place}物业突然把月租车位费从200元涨到450元，没有征求业主意见。",
                ),
                (
                    "约谈了物业公司，督促其限期完成楼道灯维修和保洁整改",
                    "督促物业修复了门禁系统，并加强门岗值守",
                    "告知物业调整停车收费须依法公示并征求业主意见，物业已暂停执行新标准",
                ),
                weight=2.5,
            ),
            Sub(
                "HOUSING.ELEVATOR",
                "电梯",
                "Lifts",
                ("{place}{bld}电梯经常故障", "{place}电梯困人", "{place}加装电梯咨询"),
                (
                    "{place}{bld}的电梯{when}停了好几次，上周还困过人，物业只是简单重启，没有彻底检修。",
                    "{place}{bld}电梯突然停在两层楼之间，里面有老人和小孩，请紧急救援！",
                    "{place}是九十年代的老楼，没有电梯，楼里很多老人上下楼困难，想了解加装电梯的政策和流程。",
                ),
                (
                    "责令维保单位对电梯进行了全面检修，并更换了老化部件",
                    "救援人员到场后已安全救出被困人员，电梯已停用待检",
                    "安排工作人员上门讲解了加装电梯政策，并协助业主启动意见征集",
                ),
                urgent=0.2,
                emergency=0.08,
            ),
        ),
    ),
    Top(
        "SAFETY",
        "安全生产",
        "Safety",
        "PS-EMERGENCY",
        (
            Sub(
                "SAFETY.FIRE",
                "消防隐患",
                "Fire hazards",
                ("{place}出租屋消防隐患", "{place}电动车楼道充电", "{place}消防通道堵塞"),
                (
                    "{place}{bld}是一栋出租楼，住了二十多户，一楼楼梯间堆满杂物，没有灭火器，也没有第二个逃生出口。",
                    "{place}{bld}有住户把电动车推进楼道里充电，电线从窗户拉下来，晚上一排车在充，很危险。",
                    "{place}的消防通道被杂物和车辆堵死，消防栓箱里也是空的。",
                ),
                (
                    "会同社区对该出租楼开展了检查，督促业主清理杂物、配齐灭火器并安装独立式烟感",
                    "清理了楼道违规充电车辆，并协调在楼下设置集中充电桩",
                    "清理了消防通道，并责令物业补齐消防器材",
                ),
                weight=1.5,
                urgent=0.25,
                patrol=True,
            ),
            Sub(
                "SAFETY.VENUE",
                "三小场所",
                "Small venues",
                ("{place}小作坊存在安全隐患", "{road}餐饮店液化气瓶乱放", "{place}小商铺住人"),
                (
                    "{place}附近有一家小加工作坊，里面堆满易燃材料，工人还在里面住宿和做饭。",
                    "{road}的一家小餐馆把好几个液化气瓶放在门口过道上，旁边就是炉灶。",
                    "{place}一楼的小商铺晚上有人在阁楼住宿，前店后宅，只有一个出口。",
                ),
                (
                    "责令作坊停业整改，清除了易燃物并落实人员住宿分离",
                    "督促餐馆将气瓶移至专用气瓶间，并安装了燃气报警器",
                    "对三小场所住人问题进行了清查，相关人员已搬离",
                ),
                urgent=0.2,
                patrol=True,
            ),
            Sub(
                "SAFETY.SLOPE",
                "边坡与地质灾害",
                "Slopes and landslides",
                ("{place}后山边坡落石", "{road}挡土墙开裂", "{place}边坡有滑坡迹象"),
                (
                    "{place}后面的山坡{when}下雨后一直往下掉石头和泥土，下面就是住户，很担心会滑坡。",
                    "{road}旁边的挡土墙出现了很长的裂缝，还在往外鼓，请派专业人员检查。",
                    "{place}边坡上的截水沟被堵住了，雨水漫过坡面冲出了一道沟。",
                ),
                (
                    "组织专业单位到现场勘查，设置了警示标志，并对危险区域人员进行了临时转移",
                    "对挡土墙开展监测，并列入地质灾害隐患治理项目",
                    "清理了截水沟，并对冲刷坡面进行了临时覆盖",
                ),
                weight=0.6,
                urgent=0.4,
                emergency=0.1,
                patrol=True,
            ),
            Sub(
                "SAFETY.GAS",
                "燃气安全",
                "Gas safety",
                ("{place}闻到燃气味", "{place}燃气管道锈蚀", "{road}有人非法销售瓶装气"),
                (
                    "{place}{bld}楼道里{when}一直有很浓的燃气味，不知道哪家漏气，请马上派人来检查！",
                    "{place}外墙的燃气立管锈得很厉害，有的地方都起皮了，担心漏气。",
                    "{road}有一个没有招牌的小店在卖瓶装液化气，气瓶看起来很旧。",
                ),
                (
                    "燃气公司到场排查，发现一户灶具软管老化漏气，已更换并恢复供气",
                    "对锈蚀立管进行了除锈防腐，并纳入老旧管网改造计划",
                    "联合执法部门查处了非法经营瓶装气点，暂扣气瓶{n}个",
                ),
                weight=0.7,
                urgent=0.4,
                emergency=0.15,
            ),
        ),
    ),
    Top(
        "HEALTH",
        "医疗卫生",
        "Health",
        "PS-HEALTH",
        (
            Sub(
                "HEALTH.CLINIC",
                "社康服务",
                "Community health services",
                ("{place}社康排队时间长", "建议{place}附近增设社康", "{place}社康疫苗预约难"),
                (
                    "{place}附近的社康中心只有两个医生坐诊，每天早上排队要一个多小时，老人身体受不了。",
                    "{place}周边新建了好几个小区，最近的社康要走二十多分钟，建议增设服务点。",
                    "在{place}附近的社康给孩子预约疫苗，系统一直显示没有号，打电话也没人接。",
                ),
                (
                    "协调社康中心增加了上午坐诊医生，并开通老年人优先窗口",
                    "已将增设社康服务点纳入卫生设施规划调研",
                    "协调社康中心增加了疫苗接种号源，并公布了咨询电话",
                ),
                weight=0.8,
                urgent=0.0,
            ),
            Sub(
                "HEALTH.PEST",
                "病媒防治",
                "Pest control",
                ("{place}蚊子太多", "{place}老鼠成群", "{place}积水容器滋生蚊虫"),
                (
                    "{place}附近的绿化带和积水沟里蚊子特别多，{when}孩子被咬得全身是包，担心登革热。",
                    "{place}的垃圾站附近老鼠成群，晚上在路上乱窜，还钻进了一楼的商铺。",
                    "{place}楼顶和空地上有很多废旧轮胎和花盆积水，长满了孑孓。",
                ),
                (
                    "组织对周边绿化带和积水点进行了灭蚊消杀",
                    "在垃圾站周边投放了灭鼠毒饵站，并督促清理卫生死角",
                    "清理了积水容器，并向居民宣传防蚊知识",
                ),
                patrol=True,
            ),
            Sub(
                "HEALTH.FOOD",
                "食品卫生",
                "Food hygiene",
                ("{place}小吃店卫生差", "{road}无证熟食摊", "在{place}附近吃饭后腹泻"),
                (
                    "{place}一家小吃店后厨很脏，碗筷直接放在地上，员工也不戴口罩。",
                    "{road}每天傍晚有人推车卖熟食卤味，没有任何防尘措施。",
                    "{when}在{place}附近的快餐店吃饭后，同事几个人都出现腹泻症状，怀疑食材不新鲜。",
                ),
                (
                    "对该店进行了检查并责令整改，已完成后厨清洁和从业人员健康证核查",
                    "对无证摊贩进行了劝离和宣传教育",
                    "对涉事餐馆进行了抽检并依法处理",
                ),
                weight=0.7,
                urgent=0.15,
            ),
        ),
    ),
    Top(
        "CIVIL",
        "民政服务",
        "Civil affairs and elderly care",
        "PS-CIVIL",
        (
            Sub(
                "CIVIL.ELDERLY",
                "养老助老",
                "Elderly care",
                ("{place}独居老人需要帮助", "为{place}高龄老人申请助餐", "{place}老人家中无人照看"),
                (
                    "我家楼下{place}{bld}住着一位{age}岁的独居老人，最近几天没见他出门，敲门也没人应，担心出事。",
                    "{place}的一位{age}岁老人行动不便，子女都在外地，希望社区能安排上门送餐服务。",
                    "我父亲{age}岁，住在{place}，患有高血压，白天家里没人，想申请居家养老服务和紧急呼叫设备。",
                ),
                (
                    "社区工作人员已上门探访，老人身体无碍，已将其纳入独居老人定期探访名单",
                    "为老人开通了长者饭堂助餐服务，每日送餐上门",
                    "为老人申请了居家养老服务并安装了紧急呼叫设备",
                ),
                weight=1.5,
                claimable=True,
                urgent=0.2,
            ),
            Sub(
                "CIVIL.ASSIST",
                "困难救助",
                "Hardship assistance",
                ("{place}困难家庭申请救助", "{place}住户因病致困求助", "咨询临时救助政策"),
                (
                    "{place}有一户人家，丈夫工伤在家养病，妻子一个人打零工养两个孩子，生活非常困难，希望能得到帮助。",
                    "我住在{place}，{when}家里老人住院花了很多钱，医保报销后还差不少，想咨询有没有救助政策。",
                    "想了解一下临时救助和低保怎么申请，需要准备哪些材料，我住在{place}。",
                ),
                (
                    "协助其申请了临时救助金，并链接慈善会提供物资帮扶",
                    "指导其申请医疗救助，并链接社会组织开展爱心帮扶",
                    "电话告知了临时救助和低保的申请条件和材料清单",
                ),
                claimable=True,
            ),
            Sub(
                "CIVIL.DISABLED",
                "残疾人服务",
                "Disability services",
                ("{place}缺少无障碍通道", "残疾人辅具申请咨询", "{road}盲道被占用"),
                (
                    "{place}入口只有台阶没有坡道，坐轮椅的居民进出非常不方便，希望加装无障碍通道。",
                    "我是{place}的居民，肢体残疾，想申请一辆新的轮椅，请问在哪里办理？",
                    "{road}的盲道被共享单车和商铺货物占得满满的，视障人士没法走。",
                ),
                (
                    "协调物业加装了无障碍坡道",
                    "指导其通过残联办理了辅具适配申请",
                    "清理了占用盲道的车辆和货物，并加强日常巡查",
                ),
                weight=0.6,
                urgent=0.0,
            ),
        ),
    ),
    Top(
        "LABOUR",
        "劳动保障",
        "Labour and social security",
        "PS-HRSS",
        (
            Sub(
                "LABOUR.WAGES",
                "欠薪",
                "Wage arrears",
                ("{place}工厂拖欠工资", "{road}工地拖欠农民工工资", "{place}公司倒闭未发工资"),
                (
                    "我在{place}的一家电子厂上班，老板已经拖欠我们{n}个月工资，一共有三十多个工人，找老板一直说没钱。",
                    "我们在{road}的工地干活，包工头拖欠工资{n}万多元，快过年了都回不了家。",
                    "{place}的一家公司{when}突然关门，老板联系不上，员工上个月的工资还没发。",
                ),
                (
                    "劳动监察大队约谈了企业负责人，企业已于三日内足额支付拖欠工资",
                    "责令总包单位从农民工工资专户先行垫付，工人工资已全部到账",
                    "已立案调查，并协助员工申请劳动仲裁和欠薪垫付",
                ),
                weight=1.5,
                urgent=0.3,
                enterprise=True,
            ),
            Sub(
                "LABOUR.INSURANCE",
                "社会保险",
                "Social insurance",
                ("公司未给员工缴纳社保", "社保转移接续咨询", "{place}企业少缴社保"),
                (
                    "我在{place}的公司上班一年多，公司一直没有给我交社保，说交了工资就要降。",
                    "我从外地来坪山工作，想把老家的养老保险转过来，不知道怎么办理。",
                    "{place}有企业按最低基数给员工缴纳社保，和实际工资相差很大。",
                ),
                (
                    "责令企业为员工补缴了社保",
                    "电话指导其通过线上平台办理了养老保险关系转移",
                    "对企业缴费基数进行了核查并责令整改",
                ),
                weight=0.8,
                urgent=0.0,
                enterprise=True,
            ),
            Sub(
                "LABOUR.JOBS",
                "就业服务",
                "Employment",
                ("{place}附近有没有招聘会", "大龄失业人员再就业咨询", "{place}企业招工难"),
                (
                    "我住在{place}，刚从工厂离职，想问问附近最近有没有招聘会或者技能培训。",
                    "我今年四十五岁，找工作很难，请问有没有针对大龄人员的就业帮扶？",
                    "我们是{place}的一家制造企业，新招了一百多名员工，但是附近租不到合适的房子，员工留不住。",
                ),
                (
                    "推送了近期招聘会信息，并为其登记了职业技能培训",
                    "将其纳入就业困难人员帮扶名单，推荐了两个公益性岗位",
                    "为企业对接了人才住房和周边房源信息，并协助组织专场招聘",
                ),
                weight=0.7,
                urgent=0.0,
                enterprise=True,
            ),
        ),
    ),
    Top(
        "ORDER",
        "社会治安",
        "Public order",
        "PS-POLICE",
        (
            Sub(
                "ORDER.THROWING",
                "高空抛物",
                "High-altitude throwing",
                ("{place}{bld}高空抛物", "{place}楼上扔垃圾", "{place}高空坠物砸坏车辆"),
                (
                    "{place}{bld}{when}有人从楼上往下扔垃圾袋和烟头，差点砸到楼下的小孩。",
                    "{place}{bld}楼上有人往下泼水扔东西，停在楼下的车被砸出了一个坑。",
                    "{place}{bld}的阳台上花盆放在外面没有固定，刮台风时很容易掉下来。",
                ),
                (
                    "调取监控锁定了抛物住户，并对其进行了批评教育",
                    "协助车主调取监控，并对涉事住户依法处理",
                    "督促住户将阳台外花盆移入室内，并在小区开展高空抛物宣传",
                ),
                urgent=0.25,
            ),
            Sub(
                "ORDER.SECURITY",
                "治安隐患",
                "Security concerns",
                ("{place}电动车频繁被盗", "{road}夜间有人聚集闹事", "{place}监控坏了"),
                (
                    "{place}{when}连续有好几辆电动车被偷，车棚的监控一直是坏的。",
                    "{road}的夜宵摊附近每天凌晨都有人喝酒闹事，大声喧哗还打架。",
                    "{place}出入口的监控摄像头坏了很久，晚上下班回家觉得不安全。",
                ),
                (
                    "加强了该区域夜间巡逻，并督促物业修复车棚监控",
                    "在该路段增派警力巡查，对滋事人员依法进行了处理",
                    "协调物业更换了损坏的监控摄像头",
                ),
                urgent=0.2,
            ),
            Sub(
                "ORDER.DISPUTE",
                "邻里纠纷",
                "Neighbour disputes",
                ("{place}邻居装修纠纷", "{place}楼上漏水到楼下", "{place}邻居养狗扰民"),
                (
                    "{place}{bld}楼上邻居装修，每天早上七点就开始打电钻，中午也不停，沟通多次没有用。",
                    "{place}{bld}楼上住户家里漏水，我家天花板都泡坏了，对方不承认也不维修。",
                    "{place}的邻居在家里养了三条大狗，白天晚上都叫，楼道里还有狗粪没人清理。",
                ),
                (
                    "社区调解员组织双方进行了调解，约定装修时间为8:00-12:00、14:00-18:00",
                    "经社区调解，楼上住户已同意维修防水并赔偿损失",
                    "上门劝导养犬住户文明养犬，并联系物业加强楼道清洁",
                ),
                weight=1.5,
                org=None,
                urgent=0.0,
            ),
        ),
    ),
    Top(
        "COMMUNITY",
        "社区服务",
        "Community services",
        None,
        (
            Sub(
                "COMMUNITY.HOUSING_HELP",
                "租房帮扶",
                "Help finding housing",
                (
                    "独居老人想找低楼层或带电梯的平价房",
                    "老人求助寻找一楼出租房",
                    "企业新员工求助找房",
                ),
                (
                    "我今年{age}岁，一个人在{place}租房住，住在{floor}楼，没有电梯，腿脚不好，上下楼越来越难。想找一间租金便宜的一楼或者带电梯的房子，麻烦社区帮帮忙。",
                    "我母亲{age}岁，在{place}租的房子在顶楼，她膝盖做过手术爬不了楼梯，想就近换一个低楼层的单间，预算一千元左右。",
                    "我们是{place}附近的一家工厂，新入职了一批员工，需要在周边找几十间价格合适的宿舍或单间，希望社区帮忙对接房源。",
                ),
                (
                    "志愿者收集了附近低楼层及带电梯的平价房源{n}套，并陪同看房，老人已顺利签约入住",
                    "联系房东协调出一间一楼单间，租金每月950元，并帮助老人搬了家",
                    "对接了辖区房源信息并组织看房，员工已陆续入住",
                ),
                weight=0.5,
                org=None,
                claimable=True,
                urgent=0.0,
            ),
            Sub(
                "COMMUNITY.VOLUNTEER",
                "志愿服务",
                "Volunteer help",
                (
                    "{place}老人需要陪同就医",
                    "{place}需要志愿者帮忙搬家",
                    "为{place}的孩子提供课业辅导",
                ),
                (
                    "{place}一位{age}岁的老人下周要去医院复查，子女不在身边，需要志愿者陪同挂号和取药。",
                    "{place}一位行动不便的老人要搬到儿子家附近，东西不多但是没人帮忙，希望有志愿者帮把手。",
                    "{place}有几个孩子父母在工厂上夜班，放学后没人辅导作业，希望有志愿者帮忙。",
                ),
                (
                    "志愿者陪同老人完成了复查和取药",
                    "志愿者帮助老人完成了搬家",
                    "安排志愿者每周二、四下午开展课业辅导",
                ),
                weight=0.8,
                org=None,
                claimable=True,
                urgent=0.0,
            ),
            Sub(
                "COMMUNITY.SUGGESTION",
                "社区建议",
                "Suggestions",
                (
                    "建议在{place}增设休闲座椅",
                    "建议{place}增设快递柜",
                    "建议{place}附近开设长者食堂",
                ),
                (
                    "{place}的小公园里只有两张长椅，老人散步累了没地方坐，建议增设一些座椅和遮阳棚。",
                    "{place}住户很多，快递经常堆在门口丢失，建议增设智能快递柜。",
                    "{place}附近老人很多，建议开设长者食堂，提供价格实惠的午餐。",
                ),
                (
                    "社区采纳了建议，新增座椅{n}张和遮阳棚2处",
                    "协调快递企业在小区增设了智能快递柜",
                    "已将建议纳入社区民生微实事项目，长者食堂预计下季度开业",
                ),
                weight=0.8,
                org=None,
                urgent=0.0,
            ),
        ),
    ),
    Top(
        "ENTERPRISE",
        "企业服务",
        "Enterprise services",
        "PS-HRSS",
        (
            Sub(
                "ENTERPRISE.POLICY",
                "惠企政策",
                "Business support",
                ("咨询稳岗补贴申领", "企业申请技能培训补贴", "咨询中小企业贷款贴息"),
                (
                    "我们是{place}的一家制造企业，想了解今年的稳岗补贴怎么申请，需要哪些材料。",
                    "公司准备组织员工参加电工和叉车证培训，想咨询企业职业技能培训补贴的标准和流程。",
                    "企业资金周转比较紧张，听说有中小企业贷款贴息政策，想了解具体条件。",
                ),
                (
                    "上门讲解了稳岗补贴政策，并指导企业完成线上申报",
                    "为企业登记了培训计划，并告知补贴申领流程",
                    "对接合作银行为企业提供了信用贷款方案",
                ),
                weight=0.5,
                urgent=0.0,
                enterprise=True,
            ),
            Sub(
                "ENTERPRISE.ENVIRONS",
                "园区配套",
                "Industrial park services",
                ("{place}周边缺少公交接驳", "{place}门口道路破损", "{place}门口货车乱停堵路"),
                (
                    "{place}有两千多名员工，上下班高峰附近没有公交接驳，员工通勤很不方便。",
                    "{place}门口的道路被重型货车压坏，货车进出经常卡在坑里。",
                    "{place}门口{when}总有货车乱停，堵住了园区出入口，员工上下班进出很危险。",
                ),
                (
                    "协调开通了园区上下班定制公交线路",
                    "安排对园区门口道路进行了修复",
                    "协调交警加强了园区门口的停车管理，并施划了禁停标线",
                ),
                weight=0.5,
                org="PS-TRANSPORT",
                urgent=0.0,
                enterprise=True,
            ),
        ),
    ),
)


def all_subs() -> list[tuple[Top, Sub]]:
    return [(top, sub) for top in CATEGORIES for sub in top.subs]


def handling_org(top: Top, sub: Sub) -> str | None:
    """The default handling organisation code of a sub-category (None: community handles it)."""
    return top.org if sub.org == "inherit" else sub.org


# The keyword rules a district starts with before it has a routing model (Triage → Keyword rules in
# the admin): words a dispatcher would pick for the common categories, some of which also occur in
# other categories' appeals (路灯 in "行道树遮挡路灯", 电梯 in a flat-hunt), as real rules do. None
# dispatches on its own: the demo's people assess and dispatch every appeal, with the rules'
# suggestion in front of them, and how often they agreed shows on the triage page.
KEYWORD_RULES: dict[str, tuple[str, ...]] = {
    "ROAD.POTHOLE": ("坑洼", "路面破损", "塌陷"),
    "ROAD.PARKING": ("乱停", "违停"),
    "ROAD.MUCK": ("泥头车",),
    "CITY.RUBBISH": ("垃圾桶", "垃圾堆积", "垃圾没人清运"),
    "CITY.STREETLIGHT": ("路灯",),
    "CITY.MANHOLE": ("井盖",),
    "WATER.LEAK": ("水管", "漏水", "冒水"),
    "WATER.FLOOD": ("积水", "内涝", "进水"),
    "ENV.NOISE": ("噪音", "噪声", "音响"),
    "ENV.AIR": ("油烟", "异味"),
    "HOUSING.ELEVATOR": ("电梯",),
    "SAFETY.GAS": ("燃气", "煤气", "瓶装气"),
    "ORDER.THROWING": ("高空抛物", "高空坠物"),
    "LABOUR.WAGES": ("拖欠工资", "欠薪", "未发工资"),
}


# What sensors report: (sub-category code, device label, description template).
SENSOR_EVENTS = (
    (
        "WATER.FLOOD",
        "积水监测",
        "【积水监测】{road}{n}号监测点水位{depth}厘米，超过警戒值，已持续{minutes}分钟。",
    ),
    (
        "CITY.MANHOLE",
        "井盖监测",
        "【井盖监测】{road}井盖传感器报警：井盖倾斜{depth}度，疑似松动或移位。",
    ),
    (
        "ORDER.THROWING",
        "高空抛物监测",
        "【高空抛物监测】{place}{bld}摄像头识别到高空抛物行为，抓拍时间{clock}。",
    ),
    (
        "SAFETY.SLOPE",
        "无人机巡查",
        "【无人机巡查】{place}后山边坡发现新增裂缝约{depth}米，坡脚有少量落石。",
    ),
    (
        "CIVIL.ELDERLY",
        "独居老人关爱",
        "【独居老人关爱】{place}{bld}独居老人家中水表{hours}小时无用水记录，请尽快上门探访。",
    ),
)
