"""Slots and phrase pools for the demo appeals: names, phone numbers, places, replies and notes.

Everything here was written for this project. ``Slots`` fills the templates in ``catalogue.py``;
the pools below give the follow-up notes, replies, reasons and revisit comments their variety.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from suqiu.demo.places import CommunityInfo

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许邓冯韩曹曾彭肖蔡潘田董袁于余叶蒋杜苏魏程吕丁沈钟"
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志明", "晓燕", "海燕", "国强", "文",
    "斌", "婷", "雪", "红", "晨", "宇", "浩", "欣", "佳", "俊", "慧", "玉兰", "春梅", "德福",
    "永辉", "淑珍", "子涵", "思远", "嘉怡", "少华", "美玲", "振东", "冬梅", "锦荣", "伟强",
)  # fmt: skip
PHONE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "185", "186", "187", "188", "189",
)  # fmt: skip


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def caller_name(rng: random.Random) -> str:
    """How a hotline seat records a caller: often only the surname and 先生/女士."""
    if rng.random() < 0.45:
        return rng.choice(SURNAMES) + rng.choice(("先生", "女士"))
    return person_name(rng)


def phone_number(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))


HOME_SUFFIXES = ("花园", "苑", "村", "华庭", "世居", "新城", "山庄", "华府", "小区", "雅居", "大厦")
INDUSTRY_SUFFIXES = ("工业区", "工业园", "产业园")

WHEN = (
    "最近一个星期",
    "这几天",
    "今天早上",
    "每天晚上",
    "从上周开始",
    "这半个月",
    "昨天晚上",
    "连续几天",
)
DAYS = ("明天", "后天", "本周三", "本周五", "下周一")


@dataclass
class Slots:
    """Values for one appeal's templates; the same slots fill its title, text and reply."""

    place: str
    road: str
    cross: str
    bld: str
    spot: str
    when: str
    n: int
    age: int
    floor: int

    @classmethod
    def draw(cls, rng: random.Random, community: CommunityInfo | None, kind: str = "any") -> Slots:
        """``kind``: "home" (a housing estate or village), "industry" (an industrial park when the
        community has one) or "any"."""
        if community is None:
            places, roads = ("坪山中心区", "坪山大道沿线"), ("坪山大道", "深汕路", "丹梓大道")
        else:
            places, roads = community.places, community.roads
        homes = [p for p in places if p.endswith(HOME_SUFFIXES)] or list(places)
        industry = [p for p in places if p.endswith(INDUSTRY_SUFFIXES)]
        if kind == "home" or (kind == "any" and rng.random() < 0.7):
            place = rng.choice(homes)
        elif kind == "industry" and industry:
            place = rng.choice(industry)
        else:
            place = rng.choice(places)
        road = rng.choice(roads)
        other = rng.choice([r for r in roads if r != road] or list(roads))
        cross = f"{road}与{other}交叉口"
        bld = rng.choice(
            (
                f"{rng.randint(1, 16)}栋{rng.randint(1, 4)}单元",
                f"{rng.randint(1, 28)}栋",
                f"{rng.choice('ABCDE')}座",
                f"{rng.randint(1, 60)}号楼",
            )
        )
        spot = rng.choice(
            (
                f"{place}{bld}楼下",
                f"{place}东门",
                f"{place}北门口",
                f"{road}{rng.randint(2, 298)}号附近",
                cross,
                f"{place}地下车库入口",
            )
        )
        return cls(
            place=place,
            road=road,
            cross=cross,
            bld=bld,
            spot=spot,
            when=rng.choice(WHEN),
            n=rng.randint(2, 6),
            age=rng.randint(68, 89),
            floor=rng.randint(5, 8),
        )

    def fill(self, template: str, **extra) -> str:
        values = {**self.__dict__, **extra}
        return template.format(**values)

    def address(self, street: str, community: str) -> str:
        return f"坪山区{street}{community}{self.place}{self.bld}"


# --- Intake framing, by channel ---------------------------------------------------------------------

CHANNEL_PREFIX = {
    "phone": ("市民来电反映：", "来电人称：", ""),
    "walk_in": ("居民到社区党群服务中心反映：", ""),
    "service_station": ("流动党群服务站现场收集：", "流动服务站进小区时居民反映："),
    "grid_patrol": ("网格巡查发现：", "网格员日常巡查上报："),
    "enterprise_desk": ("企业服务专窗收到企业反映：", ""),
    "open311": ("", ""),
    "import": ("（历史工单导入）",),
}
CHANNEL_SUFFIX = {
    "phone": ("来电人要求尽快处理并回复。", "来电人希望有关部门尽快核实处理。", ""),
    "web": ("", "希望尽快处理，谢谢！", "麻烦了，谢谢！"),
    "api": ("", "希望尽快处理。"),
}

# A second report of the same problem, merged into the first.
DUPLICATE_FRAMES = (
    "之前已经有人反映过，想问问进展：{body}",
    "{body}听说邻居也反映过了，希望一起处理。",
    "再次反映：{body}",
    "{body}这个问题好几个人都在说。",
)

# --- Work-chain texts --------------------------------------------------------------------------------

ASSESS_NOTES = (
    "诉求清楚，属{topic}类，建议派{org}办理。",
    "已核实地址和诉求内容，情况属实。",
    "已电话联系诉求人补充了具体位置。",
    "",
    "",
)
CLAIM_ASSESS_NOTES = (
    "需求明确，建议入库，由社工或志愿者认领跟进。",
    "已电话了解当事人情况，情况属实。",
    "",
)
URGENT_ASSESS_NOTES = ("涉及安全隐患，提升为紧急，优先派单。", "影响群众出行安全，优先处理。")
QUEUE_NOTES = ("涉及多个部门，待会商后派单。", "待核实责任单位后派单。", "")
CLAIMABLE_NOTES = (
    "发布为志愿服务任务，欢迎社工和志愿者认领。",
    "已评估：需求明确，适合社工或志愿者跟进。",
    "入库并开放认领，请认领人先电话联系当事人。",
)
DISPATCH_NOTES = ("请按时限办理并回复诉求人。", "请尽快到现场核实处理。", "", "")
ACCEPT_NOTES = ("已签收，马上安排人员处理。", "已接单。", "", "")
CLAIM_NOTES = (
    "我就住在附近，今天下午可以过去看看。",
    "已认领，会先电话联系当事人了解具体需求。",
    "我们机构做过类似的服务，已安排两名社工跟进。",
    "",
)
FOLLOW_UP_NOTES = (
    "已电话联系诉求人，约定{day}到现场查看。",
    "已到现场勘查，问题属实，正在安排施工队。",
    "已协调物业和社区共同处理。",
    "材料已到位，预计{day}完成。",
    "诉求人电话未接通，已发短信告知处理进度。",
    "已上门走访，了解了具体情况和需求。",
)
PUBLIC_NOTES = (
    "工作人员已到现场查看，正在处理中。",
    "已安排处理，预计{n}个工作日内完成。",
    "已与您电话沟通，我们会尽快处理。",
)
RESOURCE_REQUESTS = (
    ("需链接慈善资源支持当事人的基本生活。", ["慈善会临时救助金", "爱心企业捐赠的米面油"]),
    ("需要志愿者协助陪同和搬运。", ["志愿者陪诊服务", "搬家车辆一台"]),
    ("需要收集附近的低楼层、带电梯的平价房源。", ["志愿者收集的房源信息", "房东联系方式"]),
    ("老人行动不便，需要助老服务资源。", ["长者饭堂助餐服务", "轮椅一辆"]),
)
REPLIES = (
    "您好！您反映的{where}{topic}问题，{org}已安排人员到现场处理：{fix}。感谢您的监督与支持！",
    "您好，关于您反映的{topic}问题，经{org}核查，{fix}。如仍有问题，欢迎继续通过平台反映。",
    "尊敬的市民：您好！{org}收到您的诉求后高度重视，{fix}。感谢您对我区工作的理解和支持。",
    "您好！针对您反映的问题，{org}及时组织处理：{fix}。请您留意，如有反复可再次反映。",
)
INTERNAL_NOTES = (
    "已电话回复诉求人，诉求人表示认可。",
    "处理前后照片已存档。",
    "现场处理用时约{n}小时。",
    "已纳入日常巡查点位。",
    "",
)
VERIFY_NOTES = (
    "已电话核实，问题已解决。",
    "现场核查，处理到位。",
    "网格员现场拍照确认已整改。",
    "",
)
SEND_BACK_REASONS = (
    "回复内容未说明具体处理结果，请补充现场处理情况。",
    "经电话核实，诉求人反映问题仍未解决，请重新处理。",
    "未与诉求人沟通即办结，请联系诉求人后再回复。",
    "缺少处理前后对比照片，请补充。",
)
RETURN_REASONS = (
    "该事项属于{right}职责范围，请改派。",
    "经现场核实，该事项不在本单位职责范围，建议由{right}办理。",
)
EXTENSION_REASONS = (
    "需协调产权单位和施工队，预计需要延长{n}天。",
    "涉及管线迁改，材料采购周期较长，申请延期。",
    "诉求人近期不在家，需另约时间上门处理。",
    "需等待检测结果，申请延期。",
)
APPROVE_NOTES = ("同意延期，请按新时限办结。", "同意，请及时向诉求人说明情况。", "")
DENY_REASONS = (
    "该问题影响群众出行安全，请按原时限办结。",
    "延期理由不充分，请加快办理。",
)
SUSPEND_REASONS = (
    "涉及产权纠纷，需待法院判决后再处理。",
    "需雨季结束后才能施工，暂时挂起。",
    "诉求人长期不在深圳，暂缓处理。",
    "需纳入年度改造计划统筹解决。",
)
RESUME_REASONS = ("条件已具备，恢复办理。", "诉求人已返回，恢复处理。", "")
REJECT_REASONS = (
    "该诉求属于民事纠纷，已告知当事人通过法律途径解决。",
    "诉求内容不完整，多次联系诉求人未果，无法核实。",
    "该事项不属于本平台受理范围，已告知诉求人向相关单位咨询。",
    "经核实为误报。",
    "诉求人表示问题已自行解决，申请撤回。",
)
MERGE_REASONS = (
    "与已受理的同一地点同一问题诉求合并办理。",
    "重复反映，合并至主工单统一处理。",
)
SATISFIED_COMMENTS = (
    "处理很及时，非常满意。",
    "工作人员态度很好，问题解决了。",
    "谢谢，效率很高！",
    "已经解决了，谢谢社区。",
    "",
)
OK_COMMENTS = ("基本解决了，希望以后加强巡查。", "解决了，但是时间有点长。")
UNSATISFIED_COMMENTS = (
    "问题还是没有解决，只是临时处理了一下。",
    "过了几天又出现同样的问题。",
    "根本没有人来现场看过。",
)
