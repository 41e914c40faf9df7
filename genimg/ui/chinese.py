"""The Chinese of what every tab shares: the page, the common controls, datasets and class
names, the status lines, and the errors of the pipeline and the models (by pattern). Terms as
in the glossary (``GLOSSARY_zh.md`` in the project's docs): one term per concept. A family's
title, summary and options are in its locale file (``locale/<family>.zh-CN.json``), the rest of
its tab's words in its tab module."""
from __future__ import annotations

TABLE = {
    # the page
    "MNIST digits": "MNIST 手写数字",
    "Fashion-MNIST clothes": "Fashion-MNIST 服饰图像",
    "Dataset": "数据集",
    "Compare": "对比",
    "Lesson": "课程",
    "# genimg — {count_word} ways to generate an image\n"
    "Every tab is a different family of generative model, trained on the same tiny images\n"
    "(28×28 handwritten digits or clothes), class-conditional, and running live on this CPU.\n"
    "Pick a dataset, pick a tab, press **Generate**. Each tab's *How it works* explains the idea.\n":
        "# genimg — 生成图像的 {count} 种方法\n"
        "每个页面是一个不同的生成模型（generative model）家族，都在同样的小图像（28×28 的手写数字或服饰）上训练，"
        "都以类别为条件，并且就在这台 CPU 上实时运行。"
        "选一个数据集，选一个页面，按 **生成**。每个页面的 *原理* 讲解它的思路。\n",
    "Language": "语言",
    "Link": "链接",
    "**{summary}**": "**{summary}**",
    "From the start to the sample (the first image)": "从起点到样本（第一张图像）",
    # class names (digits stay digits)
    "T-shirt/top": "T恤/上衣", "Trouser": "裤子", "Pullover": "套头衫", "Dress": "连衣裙", "Coat": "外套",
    "Sandal": "凉鞋", "Shirt": "衬衫", "Sneaker": "运动鞋", "Bag": "包", "Ankle boot": "短靴",
    **{str(i): str(i) for i in range(10)},
    # common controls
    "All classes": "全部类别",
    "Class": "类别",
    "Seed": "随机种子",
    "Seed A": "随机种子 A",
    "Seed B": "随机种子 B",
    "🎲 Random": "🎲 随机",
    "Number of images": "图像数量",
    "Generate": "生成",
    "Stop": "停止",
    "How it works": "原理",
    "🔗 Copy link": "🔗 复制链接",
    "a link to this tab with these settings": "指向本页及当前设置的链接",
    "Start from": "起点",
    "A test image": "测试图像",
    "My drawing": "我的手绘",
    "Let the classifier decide (drawings)": "由分类器判断（手绘）",
    "Which test image of the class": "该类别的第几张测试图像",
    "Draw with the mouse (or a finger)": "用鼠标（或手指）画",
    "Samples (caption: what the classifier sees, red if not the class asked)":
        "样本（图注：分类器看到的类别；红色表示不是所要求的类别）",
    "Watch it learn": "看它学习",
    "Point in training (1: early · 8: the shipped model)": "训练进度（1：早期 · 8：发布的模型）",
    "The trainer's samples: one column per class, the same seeds at every point":
        "训练时画的样本：每列一个类别，每个进度用相同的随机种子",
    "This checkpoint was trained before the trainer kept sample sheets; its next training run will add them.":
        "这个检查点训练时，训练程序还不保存样本图；下次训练会加上。",
    "Step {step:,} of {total:,} ({share:.0%} of the training run).":
        "第 {step:,} 步，共 {total:,} 步（训练进行到 {share:.0%}）。",
    # status lines
    **{f"**{{n}} images in {{ms:.1f}} ms** ({{each:.2f}} ms each) · {{nfe}} network evaluation{s} per image · "
       "the classifier agrees on {agree}/{n} · seed {seed}":
       "**{n} 张图像，用时 {ms:.1f} ms**（每张 {each:.2f} ms）· 每张图像 {nfe} 次网络评估 · 分类器认同 {agree}/{n} · 随机种子 {seed}"
       for s in ("", "s")},
    "{where} · {s:.2f} s of model time": "{where} · 模型用时 {s:.2f} s",
    "**{n} images in {s:.2f} s** of model time · {cost} · the classifier agrees on {agree}/{n} · seed {seed}":
        "**{n} 张图像，模型用时 {s:.2f} s** · {cost} · 分类器认同 {agree}/{n} · 随机种子 {seed}",
    "{nfe} network evaluations each": "每张 {nfe} 次网络评估",
    "Started from {origin}, class **{name}**; {k} completions in {s:.2f} s.":
        "从{origin}开始，类别 **{name}**；{k} 个补全，用时 {s:.2f} s。",
    "a test image": "测试图像",
    "your drawing": "你的手绘",
    "this value": "这个值",
    "{name} must be a number between {lo} and {hi}, got {got}": "{name} 必须是 {lo} 到 {hi} 之间的数，收到的是 {got}",
    "{name} must be a number, got {got}": "{name} 必须是数，收到的是 {got}",
    "{name} must be one of {allowed}, got {got}": "{name} 必须是 {allowed} 之一，收到的是 {got}",
    # uploads and faults (genimg.ui.uploads)
    "This file is not a picture the app can read: send a PNG, JPEG, WEBP or GIF image.":
        "这个文件不是本应用能读取的图像：请发送 PNG、JPEG、WEBP 或 GIF 图像。",
    "The pictures of one drawing may have at most {most:,} pixels in all, got {got:,}.":
        "一幅手绘的全部图像合计最多 {most:,} 个像素，收到的是 {got:,}。",
    "The server's disk is full; try again shortly.": "服务器磁盘已满，请稍后再试。",
    # links
    "Link: {notes}.": "链接：{notes}。",
    "`{name}={raw}` ignored: {why}": "已忽略 `{name}={raw}`：{why}",
    "the {tab} tab has no setting {name!r}": "{tab} 页没有设置项 {name!r}",
    "a link without a tab has no setting {name!r}": "没有指定页面的链接不能设置 {name!r}",
}

ERRORS = {  # English error (a regular expression) -> Chinese template over its named groups
    r"(?P<name>\S+) must be a whole number between (?P<lo>\S+) and (?P<hi>\S+), got (?P<got>.+)":
        "{name} 必须是 {lo} 到 {hi} 之间的整数，收到的是 {got}",
    r"(?P<name>\S+) must be a number between (?P<lo>\S+) and (?P<hi>\S+), got (?P<got>.+)":
        "{name} 必须是 {lo} 到 {hi} 之间的数，收到的是 {got}",
    r"(?P<name>\S+) must be one of (?P<allowed>.+), got (?P<got>.+)": "{name} 必须是 {allowed} 之一，收到的是 {got}",
    r"(?P<name>\S+) must be one of (?P<allowed>.+)": "{name} 必须是 {allowed} 之一",
    r"unknown dataset (?P<got>.+); choose one of (?P<allowed>.+)": "未知的数据集 {got}；可选：{allowed}",
    r"unknown family (?P<got>.+); choose one of (?P<allowed>.+)": "未知的模型家族 {got}；可选：{allowed}",
    r"(?P<family>\S+) has no option (?P<got>.+); its options are (?P<allowed>.+)":
        "{family} 没有选项 {got}；它的选项是：{allowed}",
    r"label must be one class between 0 and 9 here, not all classes": "这里的 label 必须是 0 到 9 之间的一个类别，不能是全部类别",
    r"the drawing is empty: draw something first": "画布是空的：请先画点什么",
    r"the drawing is empty: draw at least (?P<n>\d+) pixels of strokes": "画布是空的：请至少画 {n} 个像素的笔画",
    r"the word has too little ink to learn from: at least (?P<n>\d+) pixels, got (?P<got>\d+)":
        "这个词的笔画太少，学不了：至少需要 {n} 个像素，收到的是 {got}",
    r"a drawing may have at most (?P<most>\S+) points \(pixels of ink\), got (?P<got>\S+)":
        "手绘最多 {most} 个点（墨迹像素），收到的是 {got}",
    r"a word may have at most (?P<most>\S+) points \(pixels of ink\), got (?P<got>\S+)":
        "一个词最多 {most} 个点（墨迹像素），收到的是 {got}",
    r"word must be 1 to (?P<n>\d+) characters, not only spaces, got (?P<got>.+)":
        "word 必须是 1 到 {n} 个字符，不能只有空格，收到的是 {got}",
    r"word may have at most (?P<n>\d+) characters, got (?P<got>\d+)": "word 最多 {n} 个字符，收到的是 {got} 个",
    r"steps × families may be at most (?P<most>\S+) for this data, got (?P<got>.+): train fewer steps or fewer "
    r"families": "步数 × 家族数在这份数据上最多 {most}，收到的是 {got}：请减少步数或家族",
    r"families must name at least one of (?P<allowed>.+), got none": "families 必须至少包含 {allowed} 中的一个，收到的是空",
    r"the drawing is empty: draw something first, or start from a test image": "画布是空的：请先画点什么，或从测试图像开始",
    r"a drawing must be a grey, RGB or RGBA image, got an array of shape (?P<shape>.+)":
        "手绘必须是灰度、RGB 或 RGBA 图像，收到的数组形状为 {shape}",
    r"a drawing's sides must be between (?P<lo>\d+) and (?P<hi>\d+) pixels, got (?P<got>.+)":
        "手绘的边长必须在 {lo} 到 {hi} 像素之间，收到的是 {got}",
    r"a drawing must hold numbers, got (?P<got>.+)": "手绘必须由数值组成，收到的是 {got}",
    r"a picture may have at most (?P<most>\S+) pixels \((?P<box>\S+)\), got (?P<got>\S+) \((?P<size>\S+)\)":
        "一张图像最多 {most} 个像素（{box}），收到的是 {got}（{size}）",
    r"a picture may have at most (?P<most>\S+) pixels \((?P<box>\S+)\), got (?P<got>\S+)":
        "一张图像最多 {most} 个像素（{box}），收到的是 {got}",
    r"a drawing must not contain NaN or infinite values": "手绘不能含有 NaN 或无穷大",
    r"a painted region must be a grey, RGB or RGBA image, got (?P<got>.+)": "涂抹的区域必须是灰度、RGB 或 RGBA 图像，收到的是 {got}",
    r"a painted region's sides must be between (?P<lo>\d+) and (?P<hi>\d+) pixels, got (?P<got>.+)":
        "涂抹区域的边长必须在 {lo} 到 {hi} 像素之间，收到的是 {got}",
    r"the painted layers differ in size: (?P<a>.+) and (?P<b>.+)": "涂抹的图层大小不一致：{a} 和 {b}",
    r"nothing is painted: paint over the part of the image to fill in": "什么都没有涂：请涂抹要补全的那部分图像",
    r"the painted strokes are too thin: paint over a larger part of the image": "涂抹的笔画太细：请涂抹更大的一块",
    r"nothing to fill in: mark at least one part of the image": "没有要补全的部分：请至少标出图像的一部分",
    r"pick the class of the test image to start from \(0-9\)": "请选择作为起点的测试图像的类别（0-9）",
    r"the start image must be (?P<want>\S+), got shape (?P<got>.+)": "起点图像必须是 {want}，收到的形状为 {got}",
    r"(?P<family>\S+) cannot fill in any region; the families that can are (?P<allowed>.+)":
        "{family} 不能补全任意区域；能补全的模型家族是：{allowed}",
    r"the (?P<family>\S+) family has no (?P<what>\S+): this view is not for it": "{family} 模型家族没有 {what}：这个视图不适用于它",
    r"(?P<family>\S+) does not stream its steps; the families that do are (?P<allowed>.+)":
        "{family} 不会逐步展示采样过程；会的模型家族是：{allowed}",
    r"(?P<n>\d+) images of (?P<nfe>\d+) network evaluations each would take about (?P<s>\d+) s of model time; "
    r"one request may take at most (?P<max>\d+) s: ask for fewer images or fewer steps":
        "{n} 张图像、每张 {nfe} 次网络评估，模型大约要用 {s} s；一次请求最多用 {max} s：请减少图像数量或步数",
    r"your drawing \(the classifier sees (?P<name>.+), (?P<conf>\d+%)\)": "你的手绘（分类器认为是 {name}，{conf}）",
    r"checkpoint (card )?(?P<what>\S+) is missing; (?P<fix>.+)": "缺少检查点文件 {what}；{fix}",
}
