"""The demo families as data: who they are, where they live, what they ask for and how each request goes.
The people are invented; the addresses are ordinary streets of real settlements; `families.py` walks them
through the real lifecycle."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


EVIDENCE = Path(__file__).parents[1] / "files" / "data"
CERTIFICATE, COMPOSITION, MEDICAL = "large-family-certificate.png", "family-composition.pdf", "medical-note.pdf"


@dataclass(frozen=True)
class Step:
    """One move in a lifecycle: who makes it ("family", "staff" or "system"), which, and its text."""

    by: str
    name: str
    text: str | None = None


SUBMIT, VERIFY, START = Step("family", "submit"), Step("staff", "verify"), Step("staff", "start")
CLOSE, EXPIRE = Step("family", "close"), Step("system", "expire")


def ask(question: str) -> Step:
    return Step("staff", "ask_info", question)


def answer(text: str) -> Step:
    return Step("family", "answer", text)


def reject(reason: str) -> Step:
    return Step("staff", "reject", reason)


def fulfil(outcome: str) -> Step:
    return Step("staff", "fulfil", outcome)


def cancel(by: str, reason: str) -> Step:
    return Step(by, "cancel", reason)


@dataclass(frozen=True)
class DemoNeed:
    title: str
    category: str
    urgency: str
    description: str
    steps: tuple[Step, ...] = ()
    money_kzt: int | None = None
    goods: tuple[tuple[str, int, str], ...] = ()
    slots: int = 0
    hours: float | None = None
    deadline_days: int | None = None
    evidence: str | None = None


@dataclass(frozen=True)
class DemoFamily:
    email: str
    name: str
    locale: str
    phone: str
    office: str
    address: str
    children_ages: tuple[int, ...]
    steps: tuple[Step, ...]
    needs: tuple[DemoNeed, ...]
    adults: int = 2
    single_parent: bool = False
    disability: bool = False
    other: str | None = None
    evidence: tuple[str, ...] = (CERTIFICATE,)


VERIFIED_HOUSEHOLD = (SUBMIT, VERIFY)

FAMILIES: tuple[DemoFamily, ...] = (
    DemoFamily(
        "family@demo.social-window.kz", "Семья Ахметовых", "ru", "+7 701 000 00 01", "ALA-01",
        "Алматы, ул. Жандосова 58", (16, 13, 10, 7, 4), VERIFIED_HOUSEHOLD, evidence=(CERTIFICATE, COMPOSITION),
        needs=(
            DemoNeed(
                "Школьная форма для троих детей", "school", "normal",
                "Трое детей учатся в 4-м, 7-м и 10-м классах. Форма прошлого года стала мала, купить новую сразу "
                "на троих семья не может. Размеры: 134, 152, 170.",
                (SUBMIT, VERIFY), money_kzt=75_000, goods=(("Комплект школьной формы", 3, "шт."),), deadline_days=45),
            DemoNeed(
                "Стиральная машина", "furniture", "high",
                "Старая машина сломалась, мастер сказал, что ремонт не имеет смысла. Стираем вручную на семь "
                "человек. Подойдёт новая или б/у в рабочем состоянии; нужен волонтёр с машиной, чтобы довезти.",
                (SUBMIT, VERIFY, START), money_kzt=160_000,
                goods=(("Стиральная машина-автомат, 6–7 кг", 1, "шт."),), slots=1, hours=2),
            DemoNeed(
                "Продуктовый набор на месяц", "food", "high",
                "Муж временно без работы после сокращения. Нужны базовые продукты на месяц для семьи из семи человек.",
                (SUBMIT, VERIFY,
                 fulfil("Набор передан семье через офис 20 ноября; получила мама, подпись в журнале выдачи.")),
                goods=(("Мука, мешок 25 кг", 1, "шт."), ("Крупа гречневая", 10, "кг"),
                       ("Масло подсолнечное", 5, "л"), ("Сахар", 5, "кг"))),
            DemoNeed(
                "Зимняя обувь для младших", "clothing", "normal",
                "Младшим детям нужны тёплые ботинки на зиму, размеры 28 и 33.",
                (SUBMIT, VERIFY, START,
                 fulfil("Две пары зимних ботинок куплены на собранные средства и переданы семье."), CLOSE),
                money_kzt=40_000),
            DemoNeed(
                "Репетитор по математике для старшего сына", "tutoring", "normal",
                "Сын в 10 классе, готовится к ЕНТ. Нужен волонтёр — студент или учитель, который сможет "
                "заниматься два раза в неделю по часу, можно онлайн.",
                slots=1, hours=2),
        )),
    DemoFamily(
        "family2@demo.social-window.kz", "Нургалиева Айжан", "kk", "+7 701 000 00 02", "ALA-01",
        "Алматы, мкр. Аксай-4, 25", (14, 11, 8, 5), VERIFIED_HOUSEHOLD, adults=1, single_parent=True,
        needs=(
            DemoNeed(
                "Ингаляторға арналған дәрілер", "medicine", "critical",
                "Кіші ұлымның бронх демікпесі бар. Дәрігер ингаляторға арналған дәрілерді үш айға тағайындады, "
                "бірақ олар тегін тізімге толық кірмейді. Рецепт көшірмесі қоса берілді.",
                (SUBMIT, VERIFY), money_kzt=35_000, deadline_days=14, evidence=MEDICAL),
            DemoNeed(
                "Шатырды жөндеу", "household_repair", "high",
                "Жеке үйдің шатыры ағып тұр, жаңбырдан кейін бөлмеде су жиналады. Шифер мен үш ер адамның бір "
                "күндік көмегі қажет.",
                (SUBMIT,), goods=(("Шифер парағы", 12, "дана"),), slots=3, hours=6),
            DemoNeed(
                "Астанаға емделуге бару жол ақысы", "transport", "normal",
                "Ұлымды Астанадағы балалар орталығына тексеруге апару керек, пойыз билеттеріне ақша жетпейді.",
                (SUBMIT, ask("Пожалуйста, приложите направление врача на лечение в Астане и укажите даты поездки.")),
                money_kzt=48_000),
            DemoNeed(
                "Оқуға арналған ноутбук", "school", "normal",
                "Үлкен қызым 8-сыныпта, үй тапсырмасын телефоннан орындайды. Ноутбук қажет.",
                (SUBMIT, reject("По программе «Цифровая школа» ноутбук ученику выдаёт школа бесплатно: обратитесь "
                                "к классному руководителю. Если школа откажет, мы поможем.")),
                money_kzt=220_000),
        )),
    DemoFamily(
        "family3@demo.social-window.kz", "Семья Бековых", "kk", "+7 701 000 00 03", "AST-01",
        "Астана, ул. Кенесары 40", (15, 12, 10, 7, 3, 1), VERIFIED_HOUSEHOLD, evidence=(CERTIFICATE, COMPOSITION),
        needs=(
            DemoNeed(
                "Бес балаға қысқы куртка", "clothing", "high",
                "Астанада қыс қатал, балалардың өткен жылғы курткалары тозып, кішірейіп қалды. "
                "Өлшемдері: 98, 122, 134, 146, 158.",
                (SUBMIT, VERIFY), money_kzt=90_000, goods=(("Қысқы куртка", 5, "дана"),), deadline_days=20),
            DemoNeed(
                "Психологпен кеңес", "psychological", "normal",
                "Үлкен қызым мектепте қиындықтарға тап болып, тұйықталып кетті. Балалар психологымен бірнеше "
                "кездесу керек.",
                (SUBMIT, VERIFY, START), slots=1, hours=1.5),
            DemoNeed(
                "Тоңазытқыш", "furniture", "normal", "Тоңазытқышымыз бұзылды, жөндеуге келмейді.",
                (SUBMIT, VERIFY, cancel("family", "Туыстарымыз тоңазытқыш сыйлады, енді қажет емес. Рақмет!")),
                money_kzt=150_000),
            DemoNeed(
                "Көп балалы отбасы жәрдемақысын рәсімдеу", "documents", "high",
                "Алтыншы бала туғаннан кейін жәрдемақыны қайта рәсімдеу керек. Құжаттарды жинауға көмек қажет.",
                (SUBMIT,
                 ask("Укажите, какие документы у вас уже есть: свидетельства о рождении всех детей, справка о месте "
                     "жительства?"),
                 answer("Барлық балалардың туу туралы куәліктері бар, мекенжай анықтамасын eGov арқылы алдым."),
                 VERIFY),
                slots=1, hours=3),
        )),
    DemoFamily(
        "family4@demo.social-window.kz", "Семья Павленко", "ru", "+7 701 000 00 04", "KRG-01",
        "Караганда, ул. Ерубаева 12", (17, 13, 9, 6), VERIFIED_HOUSEHOLD, disability=True,
        other="Дочь — ребёнок с инвалидностью, передвигается на коляске.", evidence=(CERTIFICATE, MEDICAL),
        needs=(
            DemoNeed(
                "Инвалидная коляска для дочери", "medicine", "critical",
                "Старая коляска сломана (треснула рама), по программе реабилитации новая положена только через "
                "год. Нужна облегчённая активная коляска, ширина сиденья 36 см.",
                (SUBMIT, VERIFY), money_kzt=280_000, deadline_days=30, evidence=MEDICAL),
            DemoNeed(
                "Уголь на зиму", "other", "high",
                "Дом с печным отоплением. Чтобы пережить зиму, нужно около трёх тонн угля; своих денег хватает "
                "на одну. Нужен волонтёр, чтобы помочь разгрузить.",
                (SUBMIT, VERIFY, START), goods=(("Уголь каменный", 3, "т"),), slots=1, hours=2),
            DemoNeed(
                "Довезти дочь до реабилитационного центра", "transport", "normal",
                "Курс реабилитации в областном центре, десять поездок. Нужен водитель с просторной машиной "
                "для коляски.",
                (SUBMIT, VERIFY, EXPIRE), slots=1, hours=4, deadline_days=10),
            DemoNeed(
                "Заменить электропроводку на кухне", "household_repair", "high",
                "Проводка на кухне старая, розетки искрят. Нужен электрик и кабель.",
                (SUBMIT, VERIFY,
                 fulfil("Волонтёр-электрик заменил проводку и розетки 14 ноября, кабель предоставил партнёр "
                        "ОФ «Көмек».")),
                goods=(("Кабель ВВГ 3×2,5", 30, "м"),), slots=1, hours=5),
        )),
    DemoFamily(
        "family5@demo.social-window.kz", "Семья Турсынбаевых", "kk", "+7 701 000 00 05", "SHY-01",
        "Шымкент, мкр. Нурсат, 45", (16, 14, 12, 9, 7, 4), VERIFIED_HOUSEHOLD,
        needs=(
            DemoNeed(
                "Бес балаға мектеп құралдары", "school", "normal",
                "Бес балам мектепте оқиды. Екінші жартыжылдыққа дәптерлер мен кеңсе тауарлары қажет.",
                (SUBMIT, VERIFY), deadline_days=40,
                goods=(("Дәптер", 60, "дана"), ("Қалам жиынтығы", 5, "дана"), ("Мектеп сөмкесі", 2, "дана"))),
            DemoNeed(
                "Азық-түлік себеті", "food", "high", "Отбасымызға бір айға негізгі азық-түлік қажет.",
                (SUBMIT, VERIFY, fulfil("Азық-түлік себеті 12 қарашада үйге жеткізілді."), CLOSE),
                goods=(("Ұн", 25, "кг"), ("Күріш", 10, "кг"), ("Өсімдік майы", 5, "л"))),
            DemoNeed(
                "Ағылшын тілі репетиторы", "tutoring", "normal",
                "Екі баламызға ағылшын тілінен қосымша сабақ керек, мектепте үлгере алмай жүр.",
                (SUBMIT, ask("Сколько детей будет заниматься и какой у них уровень? Подойдут ли занятия онлайн?")),
                slots=1, hours=1),
            DemoNeed(
                "Кір жуғыш машина", "furniture", "normal", "Кір жуғыш машинамыз істен шықты.",
                (SUBMIT, VERIFY,
                 cancel("staff", "Семья получила стиральную машину по программе акимата; заявка больше не актуальна.")),
                money_kzt=140_000),
        )),
    DemoFamily(
        "family6@demo.social-window.kz", "Семья Сапаровых", "ru", "+7 701 000 00 06", "TLG-01",
        "Талгар, ул. Гагарина 78", (12, 10, 8, 5, 2), VERIFIED_HOUSEHOLD,
        needs=(
            DemoNeed(
                "Ремонт печи перед зимой", "household_repair", "high",
                "Печь в частном доме дымит и дала трещину. Нужен печник или волонтёр с опытом и деньги на кирпич "
                "и глину.",
                (SUBMIT, VERIFY), money_kzt=45_000, slots=1, hours=6, deadline_days=15),
            DemoNeed(
                "Двухъярусная кровать", "furniture", "normal",
                "Трое младших спят на одном диване. Нужна двухъярусная кровать и два матраса.",
                (SUBMIT,), goods=(("Кровать двухъярусная", 1, "шт."), ("Матрас 80×190", 2, "шт."))),
            DemoNeed(
                "Лекарства для младшего ребёнка", "medicine", "high",
                "Младшему назначен курс лечения после пневмонии, часть лекарств платная.",
                (SUBMIT, VERIFY,
                 fulfil("Лекарства куплены по рецепту и переданы маме 10 ноября, чеки хранятся в офисе.")),
                money_kzt=18_000, evidence=MEDICAL),
        )),
    DemoFamily(
        "family7@demo.social-window.kz", "Ковалёва Марина", "ru", "+7 701 000 00 07", "AST-01",
        "Косшы, ул. Республики 12", (13, 11, 6, 4), VERIFIED_HOUSEHOLD, adults=1, single_parent=True,
        needs=(
            DemoNeed(
                "Помочь оформить пособие на ребёнка", "documents", "normal",
                "Нужна помощь, чтобы подать заявление на пособие через eGov и собрать справки: сама не "
                "справляюсь с порталом.",
                (SUBMIT, VERIFY), slots=1, hours=2),
            DemoNeed(
                "Школьные рюкзаки для двоих", "school", "normal",
                "Двоим детям нужны новые рюкзаки, старые порвались.", goods=(("Рюкзак школьный", 2, "шт."),)),
            DemoNeed(
                "Оплата секции по плаванию", "other", "normal",
                "Сын очень хочет заниматься плаванием, абонемент на полгода.",
                (SUBMIT, reject("Оплата платных кружков не входит в помощь программы. Для детей из многодетных "
                                "семей есть бесплатные секции в Доме школьников — мы дали адрес по телефону.")),
                money_kzt=60_000),
        )),
    DemoFamily(
        "family8@demo.social-window.kz", "Семья Жумагуловых", "ru", "+7 701 000 00 08", "KRG-01",
        "Шахтинск, ул. Парковая 8", (10, 7, 5, 3, 0), VERIFIED_HOUSEHOLD,
        needs=(
            DemoNeed(
                "Продукты и гигиена для новорождённого", "food", "critical",
                "В семье родился пятый ребёнок. Нужны подгузники, детская смесь и деньги на самое необходимое.",
                (SUBMIT, VERIFY, START), money_kzt=30_000,
                goods=(("Подгузники, упаковка", 6, "уп."), ("Детская смесь", 8, "банок"))),
            DemoNeed(
                "Перевезти вещи при переезде", "transport", "normal",
                "Переезжаем в арендованный дом на соседней улице. Нужны двое волонтёров и машина на полдня.",
                (SUBMIT, VERIFY, START, fulfil("Два волонтёра с грузовой машиной перевезли вещи 8 ноября."), CLOSE),
                slots=2, hours=4),
        )),
    DemoFamily(
        "family9@demo.social-window.kz", "Семья Оспановых", "kk", "+7 701 000 00 09", "SHY-01",
        "Ленгер, ул. Толе би 44", (15, 13, 9, 6, 1), (SUBMIT,),
        needs=(
            DemoNeed(
                "Газ плитасы", "furniture", "high",
                "Ескі газ плитасының пеші істемейді, газ қызметі оны пайдалануға тыйым салды. Жаңа плита қажет.",
                (SUBMIT,), money_kzt=95_000),
        )),
    DemoFamily(
        "family10@demo.social-window.kz", "Семья Кенжебековых", "ru", "+7 701 000 00 10", "ALA-01",
        "Алматы, ул. Саина 20", (17, 14, 8, 6),
        (SUBMIT, ask("Пожалуйста, загрузите удостоверение многодетной семьи или справку о составе семьи: на фото "
                     "в заявке не читается номер.")),
        needs=(
            DemoNeed(
                "Одежда для детей к зиме", "clothing", "normal", "Младшим нужны тёплые комбинезоны и шапки.",
                money_kzt=50_000),
        )),
    DemoFamily(
        "family11@demo.social-window.kz", "Семья Мусиных", "ru", "+7 701 000 00 11", "TLG-01",
        "Есик, ул. Токатаева 7", (11, 9, 7, 4), (), evidence=(),
        needs=(
            DemoNeed(
                "Дрова на зиму", "other", "high", "Отапливаем дом печью, дров осталось на две недели.",
                goods=(("Дрова", 4, "м³"),)),
        )),
    # Registered twice (the same phone and children as the Бековы): the duplicate finder's demo.
    DemoFamily(
        "family12@demo.social-window.kz", "Семья Беков", "kk", "+7 701 000 00 03", "AST-01",
        "Астана, пр. Республики 15", (15, 12, 10, 7, 3, 1),
        (SUBMIT, reject("Семья уже зарегистрирована в этом офисе под другой учётной записью (тот же телефон и "
                        "годы рождения детей). Пожалуйста, войдите в ту учётную запись или позвоните в офис.")),
        needs=(
            DemoNeed(
                "Балаларға қысқы киім", "clothing", "high", "Бес балаға қысқы куртка қажет.",
                (SUBMIT, reject("Повторная заявка: такая же заявка этой семьи уже проверена и открыта.")),
                money_kzt=90_000),
        )),
    # Waiting in the Almaly office's queue with the phone of the Нургалиева household it already verified: the
    # duplicates the staff decision screens show before the buttons (staff@demo…).
    DemoFamily(
        "family13@demo.social-window.kz", "Нургалиева А.", "kk", "+7 701 000 00 02", "ALA-01",
        "Алматы, ул. Жибек Жолы 50", (14, 11, 8, 5), (SUBMIT,), adults=1, single_parent=True,
        needs=(
            DemoNeed(
                "Мектеп формасы", "clothing", "normal", "Төрт балаға мектеп формасы қажет.",
                (SUBMIT,), money_kzt=60_000),
        )),
)
