<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ru" sourcelanguage="en">
<context>
    <name>AppActions</name>
    <message>
        <location filename="../actions.py" line="45" />
        <source>&amp;New conversation</source>
        <translation>&amp;Новый разговор</translation>
    </message>
    <message>
        <location filename="../actions.py" line="46" />
        <source>&amp;Quick question…</source>
        <translation>&amp;Быстрый вопрос…</translation>
    </message>
    <message>
        <location filename="../actions.py" line="47" />
        <source>&amp;Settings…</source>
        <translation>&amp;Настройки…</translation>
    </message>
    <message>
        <location filename="../actions.py" line="48" />
        <source>S&amp;top the reply</source>
        <translation>&amp;Остановить ответ</translation>
    </message>
    <message>
        <location filename="../actions.py" line="49" />
        <source>&amp;Mute speech</source>
        <translation>&amp;Без звука</translation>
    </message>
    <message>
        <location filename="../actions.py" line="50" />
        <source>M&amp;emory…</source>
        <translation>&amp;Память…</translation>
    </message>
    <message>
        <location filename="../actions.py" line="51" />
        <source>&amp;Reminders…</source>
        <translation>&amp;Напоминания…</translation>
    </message>
    <message>
        <location filename="../actions.py" line="52" />
        <source>Next reminders</source>
        <translation>Ближайшие напоминания</translation>
    </message>
    <message>
        <location filename="../actions.py" line="53" />
        <source>Show/hide the window</source>
        <translation>Показать/скрыть окно</translation>
    </message>
    <message>
        <location filename="../actions.py" line="54" />
        <source>&amp;Quit</source>
        <translation>&amp;Выход</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <location filename="../widgets/banner.py" line="43" />
        <source>What to do: {hint}</source>
        <translation>Что сделать: {hint}</translation>
    </message>
    <message>
        <location filename="../widgets/banner.py" line="52" />
        <source>Dismiss</source>
        <translation>Скрыть</translation>
    </message>
</context>
<context>
    <name>Bubble</name>
    <message>
        <location filename="../widgets/bubble.py" line="118" />
        <location filename="../widgets/bubble.py" line="166" />
        <source>☁ remote: {host}</source>
        <extracomment>the user asked to see what was sent to the remote model for this reply</extracomment>
        <translation>☁ удалённая модель: {host}</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="128" />
        <source>joy</source>
        <translation>радость</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="129" />
        <source>sadness</source>
        <translation>грусть</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="130" />
        <source>anger</source>
        <translation>гнев</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="131" />
        <source>fear</source>
        <translation>страх</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="132" />
        <source>surprise</source>
        <translation>удивление</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="133" />
        <source>neutral</source>
        <translation>нейтрально</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="134" />
        <source>disgust</source>
        <translation>отвращение</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="140" />
        <source>pleasant</source>
        <translation>приятно</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="141" />
        <source>unpleasant</source>
        <translation>неприятно</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="142" />
        <source>energetic</source>
        <translation>возбуждённо</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="143" />
        <source>calm</source>
        <translation>спокойно</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="155" />
        <source>valence {v:+.2f}, arousal {a:+.2f}, confidence {c:.0%} ({source})</source>
        <translation>валентность {v:+.2f}, возбуждение {a:+.2f}, уверенность {c:.0%} ({source})</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="160" />
        <source>interrupted</source>
        <translation>прервано</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="162" />
        <source>What to do: {hint}</source>
        <translation>Что сделать: {hint}</translation>
    </message>
    <message>
        <location filename="../widgets/bubble.py" line="167" />
        <source>what was sent</source>
        <translation>что было отправлено</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <location filename="../widgets/chat_view.py" line="83" />
        <source>🔧 {name}({args}): {result}</source>
        <extracomment>a tool's arguments are cut to this many characters in its chat line (the tooltip has them all) a bubble takes at most this share of the width the user asked what was sent to the remote model for the reply of this turn id</extracomment>
        <translation>🔧 {name}({args}): {result}</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="85" />
        <source>🔧 {name}({args}) failed: {result}</source>
        <translation>🔧 {name}({args}) — ошибка: {result}</translation>
    </message>
</context>
<context>
    <name>ConfirmationDialog</name>
    <message>
        <location filename="../widgets/dialogs.py" line="79" />
        <source>Allow this action?</source>
        <translation>Разрешить это действие?</translation>
    </message>
    <message>
        <location filename="../widgets/dialogs.py" line="80" />
        <source>Sova wants to use the tool “{tool}”: {description}</source>
        <translation>Сова хочет использовать инструмент «{tool}»: {description}</translation>
    </message>
    <message>
        <location filename="../widgets/dialogs.py" line="84" />
        <source>Arguments:</source>
        <translation>Аргументы:</translation>
    </message>
    <message>
        <location filename="../widgets/dialogs.py" line="88" />
        <source>Allow</source>
        <translation>Разрешить</translation>
    </message>
    <message>
        <location filename="../widgets/dialogs.py" line="89" />
        <source>Deny</source>
        <translation>Запретить</translation>
    </message>
</context>
<context>
    <name>ConsentDialog</name>
    <message>
        <location filename="../widgets/dialogs.py" line="99" />
        <source>Use a remote model?</source>
        <translation>Использовать удалённую модель?</translation>
    </message>
    <message>
        <location filename="../widgets/dialogs.py" line="102" />
        <source>Sova is set up to use the {role} model at {endpoint}, which is not on this computer.

What leaves: the text of your questions, the conversation and recalled memories, with personal data (names, phone numbers, e-mail and card numbers, documents, your denylist) replaced by placeholders. Your voice never leaves: speech is recognised here.

Allow this endpoint? You can revoke it later with “sova consent revoke”.</source>
        <translation>Сова настроена использовать модель «{role}» по адресу {endpoint}, а она не на этом компьютере.

Что уходит: текст ваших вопросов, разговор и найденные воспоминания, в которых личные данные (имена, номера телефонов, адреса e-mail и номера карт, документы, ваш список запрещённых слов) заменены заполнителями. Ваш голос не уходит никуда: речь распознаётся здесь.

Разрешить этот адрес? Отозвать разрешение можно командой «sova consent revoke».</translation>
    </message>
    <message>
        <location filename="../widgets/dialogs.py" line="111" />
        <source>Allow</source>
        <translation>Разрешить</translation>
    </message>
    <message>
        <location filename="../widgets/dialogs.py" line="112" />
        <source>Do not allow</source>
        <translation>Не разрешать</translation>
    </message>
</context>
<context>
    <name>EngineBridge</name>
    <message>
        <location filename="../bridge.py" line="374" />
        <source>No speaker was found: replies are shown but not spoken.</source>
        <extracomment>a running request: its result is the turn's, or None when it failed (the failure was signalled) scheduler events the window tells the user about</extracomment>
        <translation>Динамик не найден: ответы показываются, но не озвучиваются.</translation>
    </message>
</context>
<context>
    <name>GlobalHotkey</name>
    <message>
        <location filename="../hotkey.py" line="141" />
        <source>a global key needs an X11 desktop (this one is {platform})</source>
        <extracomment>Qt modifier names -&gt; X modifier masks Qt key names that differ from X keysym names</extracomment>
        <translation>глобальной клавише нужен рабочий стол X11 (здесь {platform})</translation>
    </message>
    <message>
        <location filename="../hotkey.py" line="144" />
        <source>{key} is not a single key with Ctrl/Alt/Shift/Meta</source>
        <translation>{key} — не одна клавиша с Ctrl/Alt/Shift/Meta</translation>
    </message>
    <message>
        <location filename="../hotkey.py" line="146" />
        <source>Ctrl+Alt+F1…F12 switch consoles; the desktop never passes them on</source>
        <translation>Ctrl+Alt+F1…F12 переключают консоли; рабочий стол их не передаёт</translation>
    </message>
    <message>
        <location filename="../hotkey.py" line="150" />
        <source>libX11 is not installed</source>
        <translation>не установлена библиотека libX11</translation>
    </message>
    <message>
        <location filename="../hotkey.py" line="156" />
        <source>cannot connect to the X display</source>
        <translation>нет соединения с X-сервером</translation>
    </message>
    <message>
        <location filename="../hotkey.py" line="161" />
        <source>{key} is not on this keyboard</source>
        <translation>на этой клавиатуре нет клавиши {key}</translation>
    </message>
    <message>
        <location filename="../hotkey.py" line="181" />
        <source>another program already uses {key}</source>
        <translation>клавишу {key} уже заняла другая программа</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="262" />
        <source>Models: loading…</source>
        <extracomment>how often the level meter reads the source's level while recording (ms) the window was closed by the user (the app decides: hide to the tray, or quit)</extracomment>
        <translation>Модели: загрузка…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="267" />
        <source>STT: {stt} · LLM: {llm} (light: {light}) · TTS: {voices}</source>
        <translation>Распознавание: {stt} · LLM: {llm} (лёгкая: {light}) · Голоса: {voices}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="271" />
        <source>no</source>
        <translation>нет</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="273" />
        <source>yes</source>
        <translation>да</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="275" />
        <source>downshifted: {down}</source>
        <translation>упрощённый режим: {down}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="276" />
        <source>Loaded models: {ids}</source>
        <translation>Загруженные модели: {ids}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="304" />
        <source>Sova</source>
        <translation>Сова</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="305" />
        <source>&amp;Sova</source>
        <translation>&amp;Сова</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="306" />
        <source>Type a question and press Enter</source>
        <translation>Напишите вопрос и нажмите Enter</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="307" />
        <source>Auto</source>
        <translation>Авто</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="309" />
        <source>The language of your next questions (Auto: as in the settings, detected by default)</source>
        <translation>Язык следующих вопросов («Авто» — как в настройках, по умолчанию определяется сам)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="311" />
        <source>Send</source>
        <translation>Отправить</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="312" />
        <source>Stop</source>
        <translation>Стоп</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="313" />
        <source>Stop the reply (Esc)</source>
        <translation>Остановить ответ (Esc)</translation>
    </message>
</context>
<context>
    <name>MemoryPanel</name>
    <message>
        <location filename="../widgets/memory_panel.py" line="164" />
        <source>Forget this memory for good?

“{text}”</source>
        <extracomment>columns of the list</extracomment>
        <translation>Забыть это навсегда?

«{text}»</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="172" />
        <source>Forget everything Sova remembers about you? This cannot be undone.</source>
        <translation>Забыть всё, что Сова помнит о вас? Отменить это нельзя.</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="176" />
        <source>Forget</source>
        <translation>Забыть</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="196" />
        <source>Long-term memory is off (memory.enabled in the settings file).</source>
        <translation>Долговременная память выключена (memory.enabled в файле настроек).</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="214" />
        <source>The memory could not be changed: {error}</source>
        <translation>Не удалось изменить память: {error}</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="248" />
        <source>Nothing found.</source>
        <translation>Ничего не найдено.</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="248" />
        <source>Sova remembers nothing yet.</source>
        <translation>Сова пока ничего не помнит.</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="255" />
        <source>{text} (replaced by: {newer})</source>
        <translation>{text} (заменено: {newer})</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="256" />
        <source>{text} (replaced)</source>
        <translation>{text} (заменено)</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="259" />
        <source>fact</source>
        <translation>факт</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="259" />
        <source>entity</source>
        <translation>сущность</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="259" />
        <source>summary</source>
        <translation>сводка</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="285" />
        <location filename="../widgets/memory_panel.py" line="289" />
        <source>Memory</source>
        <translation>Память</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="286" />
        <source>Search what Sova remembers</source>
        <translation>Поиск по памяти Совы</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="287" />
        <source>Search</source>
        <translation>Найти</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="288" />
        <source>Show all</source>
        <translation>Показать всё</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="289" />
        <source>Kind</source>
        <translation>Вид</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="289" />
        <source>Your words</source>
        <translation>Ваши слова</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="289" />
        <source>Date</source>
        <translation>Дата</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="290" />
        <source>Score</source>
        <translation>Оценка</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="291" />
        <source>Select a memory to edit its text</source>
        <translation>Выберите воспоминание, чтобы изменить его текст</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="292" />
        <source>Save</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="293" />
        <source>Delete…</source>
        <translation>Удалить…</translation>
    </message>
    <message>
        <location filename="../widgets/memory_panel.py" line="294" />
        <source>Forget all…</source>
        <translation>Забыть всё…</translation>
    </message>
</context>
<context>
    <name>QuickQuery</name>
    <message>
        <location filename="../widgets/quick_query.py" line="81" />
        <source>Sova is still loading its models; try again in a moment.</source>
        <translation>Сова ещё загружает модели; повторите через минуту.</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="109" />
        <source>(interrupted)</source>
        <translation>(прервано)</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="134" />
        <source>Quick question</source>
        <translation>Быстрый вопрос</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="135" />
        <source>Ask Sova… (Enter to send, Esc to close)</source>
        <translation>Спросите Сову… (Enter — отправить, Esc — закрыть)</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="136" />
        <source>Speak</source>
        <translation>Озвучить</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="137" />
        <source>Also speak the answer aloud</source>
        <translation>Также произнести ответ вслух</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="138" />
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
</context>
<context>
    <name>RemindersPanel</name>
    <message>
        <location filename="../widgets/reminders_panel.py" line="84" />
        <source>pending</source>
        <extracomment>how many upcoming reminders the tray's menu lists</extracomment>
        <translation>ожидает</translation>
    </message>
    <message>
        <location filename="../widgets/reminders_panel.py" line="84" />
        <source>due</source>
        <translation>наступило</translation>
    </message>
    <message>
        <location filename="../widgets/reminders_panel.py" line="85" />
        <source>fired late</source>
        <translation>сработало с опозданием</translation>
    </message>
    <message>
        <location filename="../widgets/reminders_panel.py" line="85" />
        <source>fired</source>
        <translation>сработало</translation>
    </message>
    <message>
        <location filename="../widgets/reminders_panel.py" line="96" />
        <source>No reminders</source>
        <translation>Напоминаний нет</translation>
    </message>
    <message>
        <location filename="../widgets/reminders_panel.py" line="107" />
        <source>Reminders</source>
        <translation>Напоминания</translation>
    </message>
    <message>
        <location filename="../widgets/reminders_panel.py" line="108" />
        <source>When</source>
        <translation>Когда</translation>
    </message>
    <message>
        <location filename="../widgets/reminders_panel.py" line="108" />
        <source>Reminder</source>
        <translation>Напоминание</translation>
    </message>
    <message>
        <location filename="../widgets/reminders_panel.py" line="108" />
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <location filename="../widgets/reminders_panel.py" line="109" />
        <source>No reminders. Ask Sova: “remind me in 10 minutes to stretch”.</source>
        <translation>Напоминаний нет. Скажите Сове: «напомни через 10 минут размяться».</translation>
    </message>
</context>
<context>
    <name>SentDialog</name>
    <message>
        <location filename="../widgets/dialogs.py" line="125" />
        <source>What was sent to {host}</source>
        <translation>Что отправлено на {host}</translation>
    </message>
    <message>
        <location filename="../widgets/dialogs.py" line="132" />
        <source>Nothing is known about what was sent for this reply.</source>
        <translation>О том, что было отправлено для этого ответа, ничего не известно.</translation>
    </message>
    <message>
        <location filename="../widgets/dialogs.py" line="133" />
        <source>Personal data was replaced by placeholders before sending (turn {turn}).</source>
        <translation>Личные данные заменены заполнителями перед отправкой (ход {turn}).</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings_dialog.py" line="168" />
        <source>Hold key: press the one key to hold while you speak.</source>
        <extracomment>text keys edited as a key press (QKeySequenceEdit) rather than typed text keys picked from a sound device list; "" (the first entry) is the system default the editor of each config key, in FIELDS' order</extracomment>
        <translation>Клавиша записи: нажмите одну клавишу, которую будете удерживать во время речи.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="178" />
        <source>Cannot write {path}: {reason}</source>
        <translation>Не удаётся записать {path}: {reason}</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="195" />
        <source>Not saved:</source>
        <translation>Не сохранено:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="203" />
        <source>Sova settings</source>
        <translation>Настройки Совы</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="205" />
        <source>Microphone:</source>
        <translation>Микрофон:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="206" />
        <source>Speaker:</source>
        <translation>Динамик:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="207" />
        <source>Spoken language:</source>
        <translation>Язык речи:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="208" />
        <source>Interface language:</source>
        <translation>Язык интерфейса:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="209" />
        <source>English voice:</source>
        <translation>Английский голос:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="210" />
        <source>Russian voice:</source>
        <translation>Русский голос:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="211" />
        <source>Main language model:</source>
        <translation>Основная языковая модель:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="212" />
        <source>Lightweight language model:</source>
        <translation>Лёгкая языковая модель:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="213" />
        <source>Persona:</source>
        <translation>Персона:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="214" />
        <source>Hold-to-talk key:</source>
        <translation>Клавиша «удерживать и говорить»:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="215" />
        <source>Global push-to-talk key (X11):</source>
        <translation>Глобальная клавиша записи (X11):</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="216" />
        <source>Quick questions:</source>
        <translation>Быстрые вопросы:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="237" />
        <source>System default</source>
        <translation>Системный по умолчанию</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="220" />
        <source>Automatic (Russian or English)</source>
        <translation>Автоматически (русский или английский)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="221" />
        <source>Russian</source>
        <translation>Русский</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="222" />
        <source>English</source>
        <translation>Английский</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="224" />
        <source>Follow the system</source>
        <translation>Как в системе</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="226" />
        <source>Speak the answers aloud</source>
        <translation>Произносить ответы вслух</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="241" />
        <source>Saved to {path}. Changing a model, a voice or the persona reloads the models.</source>
        <translation>Сохраняется в {path}. Смена модели, голоса или персоны перезагружает модели.</translation>
    </message>
<message>
        <location filename="../settings_dialog.py" line="227" />
        <source>Works on X11 desktops only; leave empty to turn it off</source>
        <translation>Работает только на рабочих столах X11; оставьте пустым, чтобы выключить</translation>
    </message>
    </context>
<context>
    <name>SovaApp</name>
    <message>
        <location filename="../app.py" line="142" />
        <location filename="../app.py" line="263" />
        <source>Sova cannot start</source>
        <translation>Сова не может запуститься</translation>
    </message>
    <message>
        <location filename="../app.py" line="144" />
        <location filename="../app.py" line="266" />
        <source>What to do: {hint}</source>
        <translation>Что сделать: {hint}</translation>
    </message>
    <message>
        <location filename="../app.py" line="145" />
        <source>Open settings…</source>
        <translation>Открыть настройки…</translation>
    </message>
    <message>
        <location filename="../app.py" line="146" />
        <source>Quit</source>
        <translation>Выйти</translation>
    </message>
    <message>
        <location filename="../app.py" line="226" />
        <source>The global key is off: {reason}</source>
        <translation>Глобальная клавиша выключена: {reason}</translation>
    </message>
    <message>
        <location filename="../app.py" line="233" />
        <source>This desktop has no system tray: Sova quits when its window closes; quick questions are in the Sova menu (Ctrl+K).</source>
        <translation>На этом рабочем столе нет системного лотка: Сова завершится при закрытии окна; быстрые вопросы — в меню «Сова» (Ctrl+K).</translation>
    </message>
    <message>
        <location filename="../app.py" line="244" />
        <source>Sova</source>
        <translation>Сова</translation>
    </message>
    <message>
        <location filename="../app.py" line="244" />
        <source>Sova keeps running in the tray; use Quit in its menu to leave.</source>
        <translation>Сова продолжает работать в лотке; чтобы выйти, выберите «Выход» в его меню.</translation>
    </message>
    <message>
        <location filename="../app.py" line="269" />
        <source>Open the configuration file</source>
        <translation>Открыть файл настроек</translation>
    </message>
</context>
<context>
    <name>SovaTray</name>
    <message>
        <location filename="../tray.py" line="50" />
        <source>Sova: click to show or hide, middle-click for a quick question</source>
        <translation>Сова: щелчок — показать или скрыть, средняя кнопка — быстрый вопрос</translation>
    </message>
</context>
<context>
    <name>StateIndicator</name>
    <message>
        <location filename="../widgets/state_indicator.py" line="36" />
        <source>Loading the models…</source>
        <translation>Загрузка моделей…</translation>
    </message>
    <message>
        <location filename="../widgets/state_indicator.py" line="37" />
        <source>Ready</source>
        <translation>Готова</translation>
    </message>
    <message>
        <location filename="../widgets/state_indicator.py" line="38" />
        <source>Listening…</source>
        <translation>Слушаю…</translation>
    </message>
    <message>
        <location filename="../widgets/state_indicator.py" line="39" />
        <source>Transcribing…</source>
        <translation>Распознаю…</translation>
    </message>
    <message>
        <location filename="../widgets/state_indicator.py" line="40" />
        <source>Thinking…</source>
        <translation>Думаю…</translation>
    </message>
    <message>
        <location filename="../widgets/state_indicator.py" line="41" />
        <source>Speaking…</source>
        <translation>Говорю…</translation>
    </message>
</context>
<context>
    <name>TalkButton</name>
    <message>
        <location filename="../widgets/talk_button.py" line="33" />
        <source>Release to send</source>
        <translation>Отпустите, чтобы отправить</translation>
    </message>
    <message>
        <location filename="../widgets/talk_button.py" line="33" />
        <source>Hold to talk</source>
        <translation>Удерживайте и говорите</translation>
    </message>
    <message>
        <location filename="../widgets/talk_button.py" line="34" />
        <source>Hold this button, or the {key} key, while you speak</source>
        <translation>Удерживайте эту кнопку или клавишу {key}, пока говорите</translation>
    </message>
</context>
<context>
    <name>WindowFeatures</name>
    <message>
        <location filename="../window_features.py" line="82" />
        <source>Sova answers without long-term memory until this is fixed.</source>
        <translation>Пока это не исправлено, Сова отвечает без долговременной памяти.</translation>
    </message>
    <message>
        <location filename="../window_features.py" line="112" />
        <source>⏰ Reminder (due {due}, while Sova was closed): {text}</source>
        <translation>⏰ Напоминание (на {due}, пока Сова была закрыта): {text}</translation>
    </message>
    <message>
        <location filename="../window_features.py" line="114" />
        <source>⏰ Reminder: {text}</source>
        <translation>⏰ Напоминание: {text}</translation>
    </message>
    <message>
        <location filename="../window_features.py" line="116" />
        <source>Sova: reminder</source>
        <translation>Сова: напоминание</translation>
    </message>
</context>
<context><name>SchedulerStatus</name><message>
        <location filename="../status.py" line="55" />
        <source>Answering with the lighter model {model}: {reason}</source>
        <translation>Отвечает облегчённая модель {model}: {reason}</translation>
    </message>
    <message>
        <location filename="../status.py" line="58" />
        <source>Back to the main model {model}</source>
        <translation>Снова отвечает основная модель {model}</translation>
    </message>
    <message>
        <location filename="../status.py" line="60" />
        <source>{holder} ran for {seconds:.0f} s, past its time limit, and was stopped</source>
        <translation>{holder} работал {seconds:.0f} с, дольше отведённого, и был остановлен</translation>
    </message>
    <message>
        <location filename="../status.py" line="64" />
        <source>The large model is switched off until restart: {reason}</source>
        <translation>Большая модель отключена до перезапуска: {reason}</translation>
    </message>
</context></TS>