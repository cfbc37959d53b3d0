"""Non-English news snippets (Chinese, German, Russian) from small hand-written phrase lists."""

from __future__ import annotations

from benchmarks.corpus_rand import Rand

ZH_SUBJECTS = ["市政府", "这家公司", "一项新的研究", "当地学校", "图书馆", "社区志愿者", "研究团队", "交通部门"]
ZH_PREDICATES = ["计划明年修建一条新的自行车道", "发布了最新的调查结果", "为家庭提供免费的周末课程",
                 "宣布延长公交车的运营时间", "呼吁居民节约用水", "在市中心开设了一家新的阅览室",
                 "表示今年的参观人数明显增加", "正在招募更多的志愿者", "建议大家在出行前查看天气预报",
                 "与几所大学合作开展了一个长期项目"]
ZH_TIMES = ["近日", "上周", "今年以来", "周一上午", "据报道", "去年秋天", "本月初"]
ZH_TAILS = ["许多市民对此表示欢迎。", "具体安排将在下周公布。", "有关部门表示会继续关注此事。",
            "不少家长认为这是一个好消息。", "专家认为这一做法值得推广。"]

DE_SUBJECTS = ["Die Stadt", "Der Verein", "Unsere Redaktion", "Das Unternehmen", "Die Landesregierung",
               "Eine neue Studie", "Die Bibliothek", "Der Gemeinderat"]
DE_PREDICATES = ["plant einen neuen Radweg in der Innenstadt", "veröffentlicht die Ergebnisse der Umfrage",
                 "bietet ab sofort kostenlose Kurse für Familien an", "verlängert die Öffnungszeiten am Wochenende",
                 "sucht dringend ehrenamtliche Helferinnen und Helfer", "unterstützt kleine Betriebe in der Region",
                 "warnt vor steigenden Energiepreisen im Winter", "eröffnet einen Gemeinschaftsgarten am Fluss",
                 "stellt ein neues Programm für Jugendliche vor"]
DE_TAILS = ["Weitere Informationen gibt es auf der Webseite der Gemeinde.", "Die Anmeldung ist kostenlos.",
            "Viele Bürgerinnen und Bürger begrüßen die Entscheidung.", "Kritik kommt von der Opposition.",
            "Ein genauer Termin steht noch nicht fest."]

RU_SUBJECTS = ["Городская администрация", "Новое исследование", "Местная школа", "Компания", "Библиотека",
               "Группа волонтёров", "Министерство транспорта", "Музей истории города"]
RU_PREDICATES = ["планирует открыть новый парк", "публикует результаты опроса жителей",
                 "предлагает бесплатные курсы для взрослых", "продлевает часы работы в выходные дни",
                 "приглашает всех желающих на открытую лекцию", "поддерживает малый бизнес в регионе",
                 "представляет новую программу для молодёжи",
                 "начинает ремонт старого моста через реку"]
RU_TIMES = ["в следующем году", "с понедельника", "этой весной", "после долгого обсуждения", "впервые",
            "в конце месяца", "уже на этой неделе"]
RU_TAILS = ["Подробности можно узнать на официальном сайте.", "Участие бесплатное.",
            "Многие жители уже поддержали эту идею.", "Точная дата пока не объявлена.",
            "Эксперты называют это важным шагом."]


def _zh(r: Rand) -> str:
    return f"{r.pick(ZH_TIMES)}，{r.pick(ZH_SUBJECTS)}{r.pick(ZH_PREDICATES)}。" + (
        r.pick(ZH_TAILS) if r.chance(0.5) else "")


def _de(r: Rand) -> str:
    return f"{r.pick(DE_SUBJECTS)} {r.pick(DE_PREDICATES)}." + (
        " " + r.pick(DE_TAILS) if r.chance(0.5) else "")


def _ru(r: Rand) -> str:
    return f"{r.pick(RU_SUBJECTS)} {r.pick(RU_TIMES)} {r.pick(RU_PREDICATES)}." + (
        " " + r.pick(RU_TAILS) if r.chance(0.5) else "")


LANGUAGES = {"zh": _zh, "de": _de, "ru": _ru}


def foreign(r: Rand) -> tuple[str, str]:
    """(language code, text): 2 to 12 sentences in 1 to 3 paragraphs."""
    lang = r.pick(list(LANGUAGES))
    make = LANGUAGES[lang]
    joiner = "" if lang == "zh" else " "
    paragraphs = [joiner.join(make(r) for _ in range(r.between(1, 4))) for _ in range(r.between(1, 3))]
    return lang, "\n\n".join(paragraphs)
