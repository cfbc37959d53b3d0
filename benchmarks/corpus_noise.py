"""Low-quality web documents: boilerplate, spam, code, lorem ipsum, junk, very short and empty texts."""

from __future__ import annotations

import base64

from benchmarks.corpus_english import sentence, title
from benchmarks.corpus_rand import Rand
from benchmarks.corpus_vocab import TOPICS

NAV = ["Home", "About Us", "Services", "Products", "Blog", "News", "Events", "Contact", "Careers", "Shop",
       "FAQ", "Support", "Log in", "Register", "My Account", "Cart (0)", "Search", "Newsletter", "Gallery",
       "Our Team", "Pricing", "Downloads", "Partners", "Press"]
COOKIE = ["We use cookies to improve your experience on our website.",
          "By continuing to browse, you agree to our use of cookies.",
          "Some cookies are necessary for the site to work, others help us understand how you use it.",
          "You can change your preferences at any time.", "Accept all | Reject | Manage preferences",
          "This website uses cookies.", "Learn more about our cookie policy."]
FEATURES = ["Free shipping on orders over $50", "30-day money-back guarantee", "Secure checkout",
            "Gift wrapping available", "Customer support 7 days a week", "Made from recycled materials",
            "In stock and ready to ship", "Easy returns", "Pay in three instalments", "Best price promise",
            "Handmade in small batches", "Trusted by over 10,000 customers"]
FOOTER = ["Privacy Policy", "Terms of Use", "Sitemap", "Accessibility", "Cookie Settings", "Imprint",
          "Advertise With Us", "Help Center"]
LOGIN = ["Sign in to continue reading.", "Forgot your password?", "Create a free account.",
         "Already a subscriber? Log in here.", "Subscribe for unlimited access.", "Remember me"]
PRODUCTS = ["WATCHES", "SUNGLASSES", "SNEAKERS", "DIET PILLS", "PHONE CASES", "HANDBAGS", "CRYPTO COINS"]
CAPS = ["LIMITED OFFER!!!", "BUY {p} NOW AND SAVE {n}%", "BEST PRICES ON {p} GUARANTEED", "CLICK HERE TO ORDER",
        "FREE DELIVERY TODAY ONLY", "100% ORIGINAL {p} AT WHOLESALE PRICES", "DON'T MISS OUT!!!"]
ADULT = ["buy viagra online", "cheap cialis without prescription", "hot xxx videos", "free porn clips",
         "nude webcam girls", "sexy singles near you", "live sexcam chat", "click for porn"]
KEYWORDS = ["cheap", "flights", "best", "hotel", "deals", "discount", "online", "casino", "bonus", "free",
            "spins", "loans", "fast", "approval", "credit", "repair", "seo", "services", "top", "rated", "buy",
            "followers", "likes", "weight", "loss", "tips", "crypto", "trading", "signals", "2024"]
PHRASES = ["cheap flights", "best casino bonus", "free spins no deposit", "fast loan approval", "buy followers",
           "weight loss pills", "work from home", "earn money online", "replica watches", "crypto signals"]
HASHTAGS = ["#travel", "#food", "#love", "#instagood", "#photooftheday", "#fitness", "#nofilter", "#summer",
            "#tbt", "#follow", "#happy", "#style", "#nature", "#sunset", "#goals", "#weekend", "#vibes"]
LATIN = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et "
         "dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea "
         "commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur "
         "excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est "
         "laborum").split()
SHORT = ["Thanks!", "Click here", "Page 2 of 14", "Loading...", "404 Not Found", "Share this:", "Comments (0)",
         "Next post", "Subscribe", "Great article, thanks for sharing.", "Posted in Uncategorized", "OK",
         "See you there!", "Sold out", "Back to top", "Photo: Reuters", "Advertisement", "Related posts:"]
EMPTY = ["", " ", "\n", "\t", "   \n\n   ", "\t \n", "\u00a0", "\n\n\n"]
CHAT = ["yes", "lol", "ok.", "nah", "omg", "me too.", "haha", "sure.", "cool", "wow.", "yep", "same."]
JS_NAMES = ["menu", "slider", "cart", "modal", "banner", "tabs", "form", "player", "gallery", "tracker"]


def boilerplate(r: Rand) -> str:
    """Navigation menus, cookie banners, teaser lists ending in ellipses, bullet lists, footers, login walls."""
    kind = r.below(6)
    if kind == 0:
        items = r.sample(NAV, r.between(5, 12))
        sep = r.pick(["\n", " | ", "\n"])
        return ("Skip to main content\n" if r.chance(0.4) else "") + sep.join(items)
    if kind == 1:
        return " ".join(r.sample(COOKIE, r.between(2, 6)))
    if kind == 2:
        topic = r.pick(TOPICS)
        lines = []
        for _ in range(r.between(3, 8)):
            lines.append(title(r, topic))
            words = sentence(r, topic).split()
            lines.append(" ".join(words[: r.between(6, 12)]).rstrip(",.?") + r.pick(["...", "…"]))
            if r.chance(0.6):
                lines.append("Read more...")
        return "\n".join(lines)
    if kind == 3:
        end = r.pick(["", "."])
        items = "\n".join(f"\u2022 {f}{end}" for f in r.sample(FEATURES, r.between(3, 8)))
        return (r.pick(["Why shop with us?", "Product features", "What's included"]) + "\n" + items
                if r.chance(0.4) else items)
    if kind == 4:
        links = r.sample(FOOTER, r.between(3, 7))
        return " | ".join(links) + f"\n\u00a9 {r.between(2005, 2024)} {r.pick(['Acme Media', 'Example Press'])}." \
            " All rights reserved."
    return "\n".join(r.sample(LOGIN, r.between(3, 6)))


def spam(r: Rand) -> str:
    """Shouting ads, repeated n-grams, blocklisted adult/pharma spam, keyword stuffing, hashtag spam."""
    kind = r.below(5)
    if kind == 0:
        product = r.pick(PRODUCTS)
        lines = [c.format(p=product, n=r.between(20, 90)) for c in r.sample(CAPS, r.between(4, 7))]
        return "\n".join(line if line.endswith("!") else line + r.pick(["!", "!!", "."]) for line in lines)
    if kind == 1:
        phrase = " ".join(r.sample(PHRASES, r.between(1, 3))).capitalize() + r.pick(["", "!", "."])
        return " ".join([phrase] * r.between(15, 60))
    if kind == 2:
        parts = [r.pick(ADULT) for _ in range(r.between(4, 12))]
        return ". ".join(p.capitalize() for p in parts) + ". Visit now!"
    if kind == 3:
        run = " ".join(r.pick(KEYWORDS) for _ in range(r.between(120, 260)))
        return f"Cheap flights. Best hotel deals! {run}. Book now."
    caption = r.pick(["So happy!", "Best weekend ever!", "Good times!", "Monday mood."])
    tags = " ".join(r.pick(HASHTAGS) for _ in range(r.between(20, 32)))
    return f"{caption} {r.pick(['Love this place!', 'Wow.', 'What a view!'])} {tags}"


def code(r: Rand) -> str:
    """JavaScript and CSS snippets, and 'enable JavaScript' notices."""
    name = r.pick(JS_NAMES)
    kind = r.below(4)
    if kind == 0:
        return (f"var {name} = document.getElementById(\"{name}-{r.between(1, 9)}\");\n"
                f"function toggle{name.title()}(event) {{\n  if (!{name}) {{ return; }}\n"
                f"  {name}.classList.toggle(\"open\");\n  event.preventDefault();\n}}\n"
                f"{name}.addEventListener(\"click\", toggle{name.title()});")
    if kind == 1:
        return (f"<script type=\"text/javascript\">\nvar _conf = {{ id: \"UA-{r.between(10000, 99999)}-1\", "
                f"debug: false }};\n(function() {{ var s = document.createElement(\"script\"); s.async = true; "
                f"s.src = \"/static/{name}.js\"; document.head.appendChild(s); }})();\n</script>")
    if kind == 2:
        return "\n".join(f".{name}-{part} {{ margin: {r.between(0, 24)}px; padding: 0; color: #{r.below(4096):03x}; }}"
                         for part in r.sample(["header", "item", "link", "title", "footer", "icon"], 4))
    return ("Please enable JavaScript in your browser to view this page.\n"
            "This site requires javascript to function properly.\nYou need to enable JavaScript to run this app.\n"
            "Your browser does not support javascript or it is turned off.")


def lorem(r: Rand) -> str:
    """Placeholder text, alone or after a heading."""
    chunks = ["Lorem ipsum dolor sit amet, consectetur adipiscing elit."]
    for _ in range(r.between(3, 12)):
        chunks.append(" ".join(r.pick(LATIN) for _ in range(r.between(6, 15))).capitalize() + ".")
    text = " ".join(chunks)
    return (title(r, r.pick(TOPICS)) + "\n\n" + text) if r.chance(0.4) else text


def junk(r: Rand) -> str:
    """Machine output: base64 blobs, hex digests, number tables."""
    kind = r.below(3)
    if kind == 0:
        raw = bytes(r.below(256) for _ in range(r.between(600, 2400)))
        blob = base64.b64encode(raw).decode()
        return " ".join(blob[i:i + 76] for i in range(0, len(blob), 76))
    if kind == 1:
        return "\n".join("".join(f"{r.below(1 << 32):08x}" for _ in range(4)) + f"  file_{i}.bin"
                         for i in range(r.between(5, 30)))
    return "\n".join(" ".join(str(r.below(10)) for _ in range(8)) for _ in range(r.between(4, 20)))


def short(r: Rand) -> str:
    """Very short texts: UI strings, one sentence, or a short line of tiny words."""
    kind = r.below(3)
    if kind == 0:
        return r.pick(SHORT)
    if kind == 1:
        return sentence(r, r.pick(TOPICS))
    return " ".join(r.pick(CHAT) for _ in range(r.between(20, 23)))


def empty(r: Rand) -> str:
    """Empty or whitespace-only text."""
    return r.pick(EMPTY)
