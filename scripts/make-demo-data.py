#!/usr/bin/env python3
"""Writes the demo's sample data (connections/demo-data): a CSV "CRM export" and a vCard address book.

Deterministic (fixed seed), so re-running it reproduces the committed files. The two sides overlap by
email (some spelled in another case), some contacts have no email, a few values conflict, a few
emails repeat inside the CSV, and tags drive the demo's rules and actions.
"""
import csv, os, random, shutil, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "connections", "demo-data")
random.seed(20261122)
first = "Ada Ben Cleo Dev Ema Finn Gia Hugo Iris Jon Kai Lea Milo Nia Omar Pia Quin Rosa Sam Tara Uli Vera Wes Xena Yan Zoe".split()
last = "Abbott Berg Costa Dietz Ekström Fischer Garcia Huber Ito Jansen Kowalski Lund Moreau Novak Okafor Petrov Quist Rossi Schmidt Tanaka Ueda Vargas Weber Yilmaz Zimmer".split()
companies = ["Acme GmbH", "Initech", "Globex", "Umbrella Ltd", "Stark AG", "Wayne Enterprises", "Hooli", "Vandelay GmbH", "Soylent", "Tyrell Corp"]
titles = ["CEO", "CTO", "Buyer", "Office Manager", "Engineer", "Accountant", "Head of Sales", "Designer"]

def person(i):
    f, l = first[i % len(first)], last[(i * 7) % len(last)]
    return {
        "first_name": f, "last_name": l,
        "email": f"{f.lower()}.{l.lower().replace('ö', 'o')}{i}@example.com",
        "phone": f"+49 30 {5550000 + i}",
        "company": companies[(i * 3) % len(companies)],
        "job_title": titles[(i * 5) % len(titles)],
    }

people = [person(i) for i in range(400)]

# --- the CRM export (app a) ---
rows = []
for i, p in enumerate(people[:280]):
    tags = ["customer"] if i < 170 else ["partner"] if i < 220 else ["prospect"]
    if i % 17 == 0: tags.append("vip")
    row = dict(p, id=str(1000 + i), tags=";".join(tags), notes="")
    if i % 23 == 0: row["phone"] = ""                                   # the address book fills it
    if i % 41 == 0: row["notes"] = "Met at the trade fair,\nprefers email."  # embedded newline
    rows.append(row)
for k in range(12):                                                      # no email: excluded
    p = people[300 + k]
    rows.append(dict(p, id=str(2000 + k), email="", tags="customer", notes=""))
for k, i in enumerate([3, 50, 120]):                                     # the same email twice in the CRM
    rows.append(dict(people[i], id=str(3000 + k), first_name=people[i]["first_name"] + " (old)", tags="customer", notes=""))

# --- the address book (app b) ---
cards = []
for i, p in enumerate(people[:130]):                                     # also in the CRM
    c = dict(p)
    if i % 9 == 0: c["email"] = c["email"].upper()                       # matched case-insensitively
    if i % 16 == 1: c["phone"] = "+49 170 " + str(1000 + i)              # conflicts: the CRM wins
    if i % 19 == 2: c["job_title"] = "Former " + c["job_title"]
    c["tags"] = ["friends"] if i % 11 == 0 else []
    cards.append(c)
for i, p in enumerate(people[330:390]):                                  # only here; 'lead' ones go to the CRM
    c = dict(p, tags=["lead"] if i < 40 else ["private"])
    cards.append(c)
for k in range(6):                                                       # no email
    c = dict(people[392 + k % 8], email="", tags=["lead"])
    cards.append(c)

def vcard(n, c):
    v4 = n % 3 == 0
    lines = ["BEGIN:VCARD", "VERSION:" + ("4.0" if v4 else "3.0"), f"UID:demo-{n:04d}",
             f"FN:{c['first_name']} {c['last_name']}", f"N:{c['last_name']};{c['first_name']};;;"]
    if c["email"]: lines.append(("EMAIL;TYPE=work:" if v4 else "EMAIL;TYPE=INTERNET,WORK:") + c["email"])
    if c["phone"]: lines.append(("TEL;TYPE=cell:" if v4 else "TEL;TYPE=CELL:") + c["phone"])
    lines += [f"ORG:{c['company']}", f"TITLE:{c['job_title']}"]
    if n % 4 == 0: lines.append(f"BDAY:19{70 + n % 30}-0{1 + n % 9}-1{n % 10}")   # not mapped: kept as is
    if n % 5 == 0: lines.append("ADR;TYPE=work:;;Hauptstraße " + str(n) + ";Berlin;;10115;Germany")
    if n % 7 == 0: lines.append("X-SOCIALPROFILE;TYPE=linkedin:https://www.linkedin.com/in/demo" + str(n))
    if c["tags"]: lines.append("CATEGORIES:" + ",".join(c["tags"]))
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"

shutil.rmtree(root, ignore_errors=True)
os.makedirs(os.path.join(root, "addressbook"))
with open(os.path.join(root, "crm-export.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=["id", "email", "first_name", "last_name", "phone", "company", "job_title", "notes", "tags"])
    w.writeheader()
    w.writerows(rows)
for n, c in enumerate(cards):
    with open(os.path.join(root, "addressbook", f"demo-{n:04d}.vcf"), "w", newline="", encoding="utf-8") as f:
        f.write(vcard(n, c))
print(f"{len(rows)} CSV rows, {len(cards)} vCards in {os.path.normpath(root)}", file=sys.stderr)
