<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ru" sourcelanguage="en">
<context>
    <name>AppActions</name>
    <message>
        <location filename="../actions.py" line="33" />
        <source>&amp;New conversation</source>
        <translation>&amp;Новый разговор</translation>
    </message>
    <message>
        <location filename="../actions.py" line="34" />
        <source>&amp;Quick question…</source>
        <translation>&amp;Быстрый вопрос…</translation>
    </message>
    <message>
        <location filename="../actions.py" line="35" />
        <source>&amp;Settings…</source>
        <translation>&amp;Настройки…</translation>
    </message>
    <message>
        <location filename="../actions.py" line="36" />
        <source>S&amp;top the reply</source>
        <translation>&amp;Остановить ответ</translation>
    </message>
    <message>
        <location filename="../actions.py" line="37" />
        <source>&amp;Mute speech</source>
        <translation>&amp;Без звука</translation>
    </message>
    <message>
        <location filename="../actions.py" line="38" />
        <source>Show/hide the window</source>
        <translation>Показать/скрыть окно</translation>
    </message>
    <message>
        <location filename="../actions.py" line="39" />
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
        <location filename="../widgets/chat_view.py" line="105" />
        <source>joy</source>
        <translation>радость</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="106" />
        <source>sadness</source>
        <translation>грусть</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="107" />
        <source>anger</source>
        <translation>гнев</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="108" />
        <source>fear</source>
        <translation>страх</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="109" />
        <source>surprise</source>
        <translation>удивление</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="110" />
        <source>neutral</source>
        <translation>нейтрально</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="111" />
        <source>disgust</source>
        <translation>отвращение</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="117" />
        <source>pleasant</source>
        <translation>приятно</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="118" />
        <source>unpleasant</source>
        <translation>неприятно</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="119" />
        <source>energetic</source>
        <translation>возбуждённо</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="120" />
        <source>calm</source>
        <translation>спокойно</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="132" />
        <source>valence {v:+.2f}, arousal {a:+.2f}, confidence {c:.0%} ({source})</source>
        <translation>валентность {v:+.2f}, возбуждение {a:+.2f}, уверенность {c:.0%} ({source})</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="137" />
        <source>interrupted</source>
        <translation>прервано</translation>
    </message>
    <message>
        <location filename="../widgets/chat_view.py" line="139" />
        <source>What to do: {hint}</source>
        <translation>Что сделать: {hint}</translation>
    </message>
</context>
<context>
    <name>EngineBridge</name>
    <message>
        <location filename="../bridge.py" line="329" />
        <source>No speaker was found: replies are shown but not spoken.</source>
        <extracomment>state shown while the models load (not an engine state) a running request: its result is the turn's, or None when it failed (the failure was signalled)</extracomment>
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
        <location filename="../main_window.py" line="243" />
        <source>Models: loading…</source>
        <extracomment>how often the level meter reads the source's level while recording (ms) the window was closed by the user (the app decides: hide to the tray, or quit)</extracomment>
        <translation>Модели: загрузка…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="248" />
        <source>STT: {stt} · LLM: {llm} (light: {light}) · TTS: {voices}</source>
        <translation>Распознавание: {stt} · LLM: {llm} (лёгкая: {light}) · Голоса: {voices}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="252" />
        <source>no</source>
        <translation>нет</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="254" />
        <source>yes</source>
        <translation>да</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="256" />
        <source>downshifted: {down}</source>
        <translation>упрощённый режим: {down}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="257" />
        <source>Loaded models: {ids}</source>
        <translation>Загруженные модели: {ids}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="285" />
        <source>Sova</source>
        <translation>Сова</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="286" />
        <source>&amp;Sova</source>
        <translation>&amp;Сова</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="287" />
        <source>Type a question and press Enter</source>
        <translation>Напишите вопрос и нажмите Enter</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="357" />
        <source>Auto</source>
        <translation>Авто</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="359" />
        <source>The language of your next questions (Auto: as in the settings, detected by default)</source>
        <translation>Язык следующих вопросов («Авто» — как в настройках, по умолчанию определяется сам)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="288" />
        <source>Send</source>
        <translation>Отправить</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="289" />
        <source>Stop</source>
        <translation>Стоп</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="290" />
        <source>Stop the reply (Esc)</source>
        <translation>Остановить ответ (Esc)</translation>
    </message>
</context>
<context>
    <name>QuickQuery</name>
    <message>
        <location filename="../widgets/quick_query.py" line="80" />
        <source>Sova is still loading its models; try again in a moment.</source>
        <translation>Сова ещё загружает модели; повторите через минуту.</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="102" />
        <location filename="../widgets/quick_query.py" line="110" />
        <source>(interrupted)</source>
        <translation>(прервано)</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="135" />
        <source>Quick question</source>
        <translation>Быстрый вопрос</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="136" />
        <source>Ask Sova… (Enter to send, Esc to close)</source>
        <translation>Спросите Сову… (Enter — отправить, Esc — закрыть)</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="137" />
        <source>Speak</source>
        <translation>Озвучить</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="138" />
        <source>Also speak the answer aloud</source>
        <translation>Также произнести ответ вслух</translation>
    </message>
    <message>
        <location filename="../widgets/quick_query.py" line="139" />
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
</context>
<context>
    <name>SchedulerStatus</name>
    <message>
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
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings_dialog.py" line="167" />
        <source>Hold key: press the one key to hold while you speak.</source>
        <translation>Клавиша записи: нажмите одну клавишу, которую будете удерживать во время речи.</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="179" />
        <source>Cannot write {path}: {reason}</source>
        <translation>Не удаётся записать {path}: {reason}</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="196" />
        <source>Not saved:</source>
        <translation>Не сохранено:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="204" />
        <source>Sova settings</source>
        <translation>Настройки Совы</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="206" />
        <source>Microphone:</source>
        <translation>Микрофон:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="207" />
        <source>Speaker:</source>
        <translation>Динамик:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="208" />
        <source>Spoken language:</source>
        <translation>Язык речи:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="209" />
        <source>Interface language:</source>
        <translation>Язык интерфейса:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="210" />
        <source>English voice:</source>
        <translation>Английский голос:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="211" />
        <source>Russian voice:</source>
        <translation>Русский голос:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="212" />
        <source>Main language model:</source>
        <translation>Основная языковая модель:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="213" />
        <source>Lightweight language model:</source>
        <translation>Лёгкая языковая модель:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="214" />
        <source>Persona:</source>
        <translation>Персона:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="215" />
        <source>Hold-to-talk key:</source>
        <translation>Клавиша «удерживать и говорить»:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="216" />
        <source>Global push-to-talk key (X11):</source>
        <translation>Глобальная клавиша записи (X11):</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="217" />
        <source>Quick questions:</source>
        <translation>Быстрые вопросы:</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="222" />
        <source>System default</source>
        <translation>Системный по умолчанию</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="223" />
        <source>Automatic (Russian or English)</source>
        <translation>Автоматически (русский или английский)</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="223" />
        <source>Russian</source>
        <translation>Русский</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="223" />
        <source>English</source>
        <translation>Английский</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="225" />
        <source>Follow the system</source>
        <translation>Как в системе</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="226" />
        <source>Speak the answers aloud</source>
        <translation>Произносить ответы вслух</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="227" />
        <source>Works on X11 desktops only; leave empty to turn it off</source>
        <translation>Работает только на рабочих столах X11; оставьте пустым, чтобы выключить</translation>
    </message>
    <message>
        <location filename="../settings_dialog.py" line="229" />
        <source>Saved to {path}. Changing a model, a voice or the persona reloads the models.</source>
        <translation>Сохраняется в {path}. Смена модели, голоса или персоны перезагружает модели.</translation>
    </message>
</context>
<context>
    <name>SovaApp</name>
    <message>
        <location filename="../app.py" line="143" />
        <location filename="../app.py" line="272" />
        <source>Sova cannot start</source>
        <translation>Сова не может запуститься</translation>
    </message>
    <message>
        <location filename="../app.py" line="145" />
        <location filename="../app.py" line="275" />
        <source>What to do: {hint}</source>
        <translation>Что сделать: {hint}</translation>
    </message>
    <message>
        <location filename="../app.py" line="146" />
        <source>Open settings…</source>
        <translation>Открыть настройки…</translation>
    </message>
    <message>
        <location filename="../app.py" line="147" />
        <source>Quit</source>
        <translation>Выйти</translation>
    </message>
    <message>
        <location filename="../app.py" line="235" />
        <source>The global key is off: {reason}</source>
        <translation>Глобальная клавиша выключена: {reason}</translation>
    </message>
    <message>
        <location filename="../app.py" line="242" />
        <source>This desktop has no system tray: Sova quits when its window closes; quick questions are in the Sova menu (Ctrl+K).</source>
        <translation>На этом рабочем столе нет системного лотка: Сова завершится при закрытии окна; быстрые вопросы — в меню «Сова» (Ctrl+K).</translation>
    </message>
    <message>
        <location filename="../app.py" line="253" />
        <source>Sova</source>
        <translation>Сова</translation>
    </message>
    <message>
        <location filename="../app.py" line="253" />
        <source>Sova keeps running in the tray; use Quit in its menu to leave.</source>
        <translation>Сова продолжает работать в лотке; чтобы выйти, выберите «Выход» в его меню.</translation>
    </message>
    <message>
        <location filename="../app.py" line="278" />
        <source>Open the configuration file</source>
        <translation>Открыть файл настроек</translation>
    </message>
</context>
<context>
    <name>SovaTray</name>
    <message>
        <location filename="../tray.py" line="48" />
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
</TS>