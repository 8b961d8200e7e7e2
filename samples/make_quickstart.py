#!/usr/bin/env python3
"""Write the quickstart sample corpus (samples/quickstart/) deterministically.

Every text here was written for tamis (no third-party content). The corpus mixes languages,
dates (2016-2025), formats (WET with one gzip member per record, WET as one gzip stream, FineWeb-
style JSONL, code JSONL), planted problems (blocked and opted-out URLs, banned words, boilerplate,
a wrong-language page, near and exact duplicates) and damage (a truncated record, a broken JSON
line, a line without text) so that one quickstart run shows every stage at work.

    python3 samples/make_quickstart.py      # rewrites samples/quickstart/*
"""
import gzip
import io
import json
import os
import uuid

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quickstart")

EN = [
    "The river that crosses our town freezes every winter, and the children skate on it while their parents watch from the bridge. This year the ice came late, in the second week of January, and the mayor asked everyone to wait for the firefighters to measure its thickness before going out.",
    "Baking bread at home takes patience more than skill. Mix flour, water, salt and a little yeast, let the dough rest overnight in a cool place, then fold it gently and bake it in a very hot oven. The crust should sing when it cools.",
    "Our library now lends tools as well as books. Members can borrow a drill, a ladder or a sewing machine for a week, and volunteers run a repair café on the first Saturday of each month, where broken lamps and bicycles get a second life.",
    "The committee met on Tuesday to discuss the new bus timetable. Several residents complained that the last bus leaves the station too early for people who work evening shifts, and the transport office promised a trial of a later service in the spring.",
    "Learning a second language as an adult is easier when it becomes part of daily life. Read the news in that language, label the objects in your kitchen, and find a conversation partner who is learning your language in return.",
]
FR = [
    "Le marché du samedi matin a retrouvé ses habitués. Les maraîchers installent leurs étals dès six heures, les premières fraises arrivent de la vallée et le fromager propose de goûter un comté affiné pendant dix-huit mois.",
    "La médiathèque organise cet automne une série d'ateliers d'écriture pour les adolescents. Chaque séance part d'une photographie ancienne de la ville, et les textes écrits seront lus à voix haute lors d'une soirée publique en décembre.",
    "Après trois ans de travaux, la ligne de tramway relie enfin la gare au nouveau quartier universitaire. Les rames circulent toutes les sept minutes en journée et les cyclistes peuvent emprunter la piste qui longe les rails.",
    "Le club de randonnée prépare une sortie en montagne pour la fin du mois. Le parcours fait quatorze kilomètres avec six cents mètres de dénivelé ; il faut prévoir de bonnes chaussures, de l'eau et un vêtement de pluie.",
    "Les vendanges ont commencé plus tôt que prévu à cause de la chaleur de l'été. Les viticulteurs espèrent une bonne année malgré la grêle de juin, qui a touché quelques parcelles sur le versant nord de la colline.",
]
DE = [
    "Der Stadtrat hat beschlossen, den alten Bahnhof in ein Kulturzentrum umzubauen. Im Erdgeschoss sollen ein Café und eine Werkstatt entstehen, im ersten Stock Proberäume für Musikgruppen und ein kleiner Saal für Lesungen.",
    "Im Herbst sammeln viele Familien Pilze im Wald hinter dem Dorf. Der Förster erinnert daran, nur Arten mitzunehmen, die man sicher kennt, und die Funde im Zweifel bei der Beratungsstelle im Rathaus prüfen zu lassen.",
]
ES = [
    "La biblioteca del barrio amplía su horario durante los exámenes. Las salas de estudio abrirán hasta medianoche y los voluntarios ofrecerán clases de repaso de matemáticas y de química para los estudiantes de secundaria.",
    "El festival de música de la costa celebra este verano su vigésima edición. Habrá conciertos gratuitos en la playa cada tarde y talleres de percusión para niños en la plaza del ayuntamiento.",
]
IT = [
    "Il comune ha inaugurato un nuovo parco lungo il fiume, con percorsi pedonali, una pista ciclabile e un'area giochi per i bambini. Gli alberi sono stati piantati dagli studenti delle scuole elementari durante la primavera.",
    "La trattoria in fondo alla via prepara ancora la pasta a mano ogni mattina. La specialità della casa sono i tortelli di zucca, serviti con burro fuso e salvia, come li faceva la nonna del proprietario.",
]
PT = ["A feira do livro regressa ao centro da cidade no próximo mês, com mais de cem editoras e encontros diários com autores. As escolas da região vão organizar visitas e cada aluno recebe um vale para comprar um livro."]
ZH = [
    "今年春天，城市公园里的樱花比往年开得更早。周末有很多家庭带着孩子来野餐，公园管理处提醒游客不要攀折花枝，并把垃圾带走。",
    "这家小书店已经在老街上开了三十年。店主每个月都会举办一次读书会，邀请附近的居民一起讨论一本新书，喝茶聊天，气氛非常温馨。",
]
AR = ["افتتحت البلدية مكتبة جديدة في وسط المدينة تضم آلاف الكتب باللغتين العربية والفرنسية، وتقدم ورشات للقراءة للأطفال كل يوم سبت، كما خصصت قاعة هادئة للطلاب الذين يستعدون للامتحانات."]
HI = ["गाँव के स्कूल में इस साल एक नया पुस्तकालय खोला गया है। बच्चे अब हर दिन कहानियों की किताबें पढ़ सकते हैं और शिक्षक शाम को बड़ों के लिए भी पढ़ने की कक्षाएँ चलाते हैं।"]
SW = ["Wakulima wa kijiji chetu wameanza kupanda mahindi baada ya mvua za kwanza kunyesha. Serikali ya wilaya imeleta mbegu bora na wataalamu watatembelea mashamba kila wiki kutoa ushauri."]

# Planted problems.
BOILERPLATE = "Home | About us | Contact | Privacy policy | Terms of use\nAccept all cookies\nHome | About us | Contact | Privacy policy | Terms of use\nAccept all cookies\nHome | About us | Contact | Privacy policy | Terms of use\nAccept all cookies\nHome | About us | Contact | Privacy policy | Terms of use"
PROFANE = "This forum thread is nothing but shit. Every damn reply calls the moderators fucking idiots and the whole board is full of crap about the same cheap watches. Nobody here answers the actual question about the train schedule."
KEYWORDS = " ".join(["cheap watches online", "buy cheap watches", "best replica watches", "discount watches sale", "cheap watches free shipping"] * 5)
PII = ("The repair café meets on the first Saturday of every month in the hall behind the library. Volunteers fix lamps, toasters, bicycles and clothes, and they show visitors how to do the repair themselves so that the knowledge stays in the neighbourhood. "
       "To join the team of volunteers, write to the organiser at marie.dupont@example.org or call her on +33 6 12 34 56 78 before Friday. "
       "Donations that help us buy tools and spare parts can be sent to the association's account FR76 3000 6000 0112 3456 7890 189, and every gift is acknowledged in the yearly report.")

def near_dup(text):
    # A realistic near duplicate: a sentence appended and one word changed.
    return text.replace("second week", "third week") + " Updates will be posted on the town website."

def warc_record(rtype, headers, body):
    body_bytes = body.encode("utf-8") if isinstance(body, str) else body
    lines = ["WARC/1.0", f"WARC-Type: {rtype}"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines += ["Content-Type: text/plain" if rtype == "conversion" else "Content-Type: application/warc-fields",
              f"Content-Length: {len(body_bytes)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body_bytes + b"\r\n\r\n"

def rid(name):
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'tamis-quickstart/' + name)}>"

def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as g:
        g.write(data)
    return buf.getvalue()

def wet(crawl, date, docs, per_record_members, truncate_last=False):
    info = f"isPartOf: {crawl}\r\ndescription: tamis quickstart sample, written for the project\r\n"
    records = [warc_record("warcinfo", [("WARC-Date", date), ("WARC-Record-ID", rid(crawl + '/info'))], info)]
    for i, (url, text) in enumerate(docs):
        h = [("WARC-Target-URI", url), ("WARC-Date", date.replace("T00", f"T{10 + i % 10:02d}")),
             ("WARC-Record-ID", rid(crawl + "/" + url))]
        records.append(warc_record("conversion", h, text))
    if truncate_last:
        # The last record announces more bytes than the file holds (a crawl cut short).
        last = records[-1]
        records[-1] = last[: len(last) - 60]
    if per_record_members:
        return b"".join(gz(r) for r in records)
    return gz(b"".join(records))

def main():
    os.makedirs(HERE, exist_ok=True)
    crawl_2019 = [
        ("https://www.riverside-town.example/news/ice", EN[0]),
        ("https://boulangerie.example.fr/pain-maison", FR[0]),
        ("https://stadt.example.de/bahnhof", DE[0]),
        ("https://biblioteca.example.es/examenes", ES[0]),
        ("https://comune.example.it/parco", IT[0]),
        ("https://www.riverside-town.example/library-of-things", EN[2]),
        ("https://mediatheque.example.fr/ateliers", FR[1]),
        ("https://jiaoyu.example.cn/yinghua", ZH[0]),
        ("http://casino-jackpot-bonus.example/slots", EN[1]),            # blocked domain (lists/)
        ("https://forum.example.com/t/watches", PROFANE),                 # banned words
        ("https://portal.example.net/", BOILERPLATE),                     # boilerplate
        ("https://www.riverside-town.example/bus", EN[3]),                # truncated below
    ]
    crawl_2024 = [
        ("https://news.riverside-town.example/2024/ice", near_dup(EN[0])),  # near duplicate of 2019
        ("https://tram.example.fr/ligne", FR[2]),
        ("https://randonnee.example.fr/sortie", FR[3]),
        ("https://pilze.example.de/herbst", DE[1]),
        ("https://festival.example.es/costa", ES[1]),
        ("https://trattoria.example.it/tortelli", IT[1]),
        ("https://feira.example.pt/livro", PT[0]),
        ("https://shudian.example.cn/dushuhui", ZH[1]),
        ("https://maktaba.example.ma/jadida", AR[0]),
        ("https://gaon.example.in/pustakalay", HI[0]),
        ("https://kilimo.example.tz/mahindi", SW[0]),
        ("https://optout-publisher.example/articles/1", EN[4]),          # opt-out list
        ("https://repair.example.org/join", PII),                        # PII redacted, kept
        ("https://spam.example.biz/watches", KEYWORDS),                   # keyword list
        ("https://mirror.example.net/ice", EN[0]),                        # exact duplicate of 2019
    ]
    with open(os.path.join(HERE, "CC-MAIN-2019-35-sample.warc.wet.gz"), "wb") as f:
        f.write(wet("CC-MAIN-2019-35", "2019-08-20T00:00:00Z", crawl_2019, per_record_members=True, truncate_last=True))
    with open(os.path.join(HERE, "CC-MAIN-2024-22-sample.warc.wet.gz"), "wb") as f:
        f.write(wet("CC-MAIN-2024-22", "2024-05-20T00:00:00Z", crawl_2024, per_record_members=False))

    web = [
        {"id": "web-0001", "text": FR[4], "url": "https://vignoble.example.fr/vendanges", "date": "2021-09-14T08:00:00Z", "dump": "sample", "language": "fr"},
        {"id": "web-0002", "text": EN[1], "url": "https://kitchen.example.co.uk/bread", "date": "2016-03-02", "dump": "sample", "language": "en"},
        {"id": "web-0003", "text": near_dup(EN[0]).replace("mayor", "town mayor"), "url": "https://blog.example.org/winter", "date": "Sat, 04 Jan 2020 10:00:00 +0000", "dump": "sample", "language": "en"},
        {"id": "web-0004", "text": FR[0], "url": "https://www.marche.example.fr/samedi", "date": 1640995200, "dump": "sample", "language": "fr"},
        {"id": "web-0005", "text": "", "url": "https://empty.example.org/", "date": "2022-01-01", "dump": "sample", "language": "en"},
        {"id": "web-0006", "text": EN[3], "url": "https://council.example.gov/minutes", "date": "not a date", "dump": "sample", "language": "en"},
    ]
    lines = [json.dumps(d, ensure_ascii=False) for d in web]
    lines.insert(3, '{"id": "web-broken", "text": "this line was cut in the middle of a wri')
    with open(os.path.join(HERE, "web-sample.jsonl.gz"), "wb") as f:
        f.write(gz(("\n".join(lines) + "\n").encode("utf-8")))

    code = [
        {"path": "src/stats.py", "content": "def mean(values):\n    \"\"\"Arithmetic mean of a non-empty list.\"\"\"\n    if not values:\n        raise ValueError('mean of an empty list')\n    return sum(values) / len(values)\n\n\nif __name__ == '__main__':\n    print(mean([1, 2, 3, 4]))\n", "repo": "tamis-samples/stats", "date": "2023-02-11"},
        {"path": "src/main.rs", "content": "use std::collections::HashMap;\n\nfn word_counts(text: &str) -> HashMap<&str, usize> {\n    let mut counts = HashMap::new();\n    for word in text.split_whitespace() {\n        *counts.entry(word).or_insert(0) += 1;\n    }\n    counts\n}\n\nfn main() {\n    println!(\"{:?}\", word_counts(\"a b a\"));\n}\n", "repo": "tamis-samples/words", "date": "2024-06-30"},
        {"path": "web/app.js", "content": "export function debounce(fn, ms) {\n  let timer = null;\n  return (...args) => {\n    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), ms);\n  };\n}\n", "repo": "tamis-samples/web", "date": "2022-10-05"},
    ]
    with open(os.path.join(HERE, "code-sample.jsonl"), "w", encoding="utf-8") as f:
        for d in code:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")

if __name__ == "__main__":
    main()
